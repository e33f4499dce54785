module helloworld

go 1.17
