module github.com/example/fleet

go 1.21

require (
	github.com/vmware-tanzu/cartographer v0.7.0
	k8s.io/apimachinery v0.29.0
)
