module github.com/vmware-tanzu/graph-framework-for-microservices/compiler/example/test-utils/nexus-rest-api-gen-wrong-name

go 1.18

require github.com/vmware-tanzu/graph-framework-for-microservices/nexus v0.0.0-20230109084100-65931d1f8a32
