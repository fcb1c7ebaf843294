module t2c

go 1.26.8

require (
	golang.org/x/image v0.48.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
