module github.com/vmware-tanzu/graph-framework-for-microservices/compiler/example/test-utils/invalid-type-name-datamodel

go 1.17

require github.com/vmware-tanzu/graph-framework-for-microservices/nexus v0.0.0-20221102113628-fc41317445f4
