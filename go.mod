module github.com/openliveness/openliveness

go 1.25.0

require (
	github.com/disintegration/imaging v1.6.2 // indirect
	github.com/esimov/pigo v1.4.6 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/image v0.33.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
