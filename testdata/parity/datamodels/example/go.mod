module github.com/vmware-tanzu/graph-framework-for-microservices/compiler/example/datamodel

go 1.16

require (
	github.com/vmware-tanzu/cartographer v0.3.0
	github.com/vmware-tanzu/graph-framework-for-microservices/nexus v0.0.0-20230226005144-24336fc988d5
	golang.org/x/net v0.17.0 // indirect
)
