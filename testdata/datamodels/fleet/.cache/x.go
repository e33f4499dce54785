package cache
broken {
