module template.example.com/dm

go 1.17
