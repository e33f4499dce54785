module orgchart

go 1.18
