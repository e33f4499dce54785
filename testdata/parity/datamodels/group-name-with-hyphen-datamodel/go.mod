module github.com/vmware-tanzu/graph-framework-for-microservices/compiler/example/test-utils/group-name-with-hyphen-datamodel

go 1.18

require (
	github.com/vmware-tanzu/graph-framework-for-microservices/common-library v0.0.0-20221028160844-d70f863bc31b
	github.com/vmware-tanzu/graph-framework-for-microservices/compiler/example/test-utils/duplicated-uris-datamodel v0.0.0-20221028160844-d70f863bc31b
)

require github.com/elliotchance/orderedmap v1.4.0 // indirect
