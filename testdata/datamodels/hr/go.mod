module example.org/hr

go 1.21
