module github.com/vmware-tanzu/graph-framework-for-microservices/compiler/example/test-utils/map-type-child

go 1.18

require github.com/vmware-tanzu/graph-framework-for-microservices/nexus v0.0.0-20221212164212-819bb2b13a73
