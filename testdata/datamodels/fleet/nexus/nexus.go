// Package nexus is a vendored copy of the nexus DSL types; the generator skips it.
package nexus

type ID struct {
	Id string `nexus.vmware:"id"`
}

type Node struct {
	ID
}

type SingletonNode struct {
	ID
}

type HTTPMethod string
type ResponseCode int

type HTTPResponse struct {
	Description string `json:"description"`
}

type HTTPCodesResponse map[ResponseCode]HTTPResponse
type HTTPMethodsResponses map[HTTPMethod]HTTPCodesResponse

type RestURIs struct {
	Uri         string               `json:"uri"`
	QueryParams []string             `json:"query_params,omitempty"`
	Methods     HTTPMethodsResponses `json:"methods"`
}

type RestAPISpec struct {
	Uris []RestURIs `json:"uris"`
}
