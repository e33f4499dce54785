package network

import (
	"net/http"

	"github.com/example/fleet/nexus"
)

var DnsRestAPISpec = nexus.RestAPISpec{
	Uris: []nexus.RestURIs{
		{
			Uri: "/dns",
			Methods: nexus.HTTPMethodsResponses{
				http.MethodGet: nexus.DefaultHTTPGETResponses,
				http.MethodPut: nexus.DefaultHTTPPUTResponses,
			},
		},
	},
}

// Dns is the fleet's one DNS configuration.
// nexus-rest-api-gen:DnsRestAPISpec
type Dns struct {
	nexus.SingletonNode
	Servers []string
	Zones   Zone `nexus:"children"`
}

type Zone struct {
	nexus.Node
	//nexus-validation: Pattern=^[a-z0-9.]+$
	Domain  string
	TTL     uint32 `json:"ttl"`
	Records map[string]Record
}

type Record struct {
	Type   RecordType
	Values []string `json:"values,omitempty"`
}

type RecordType string

const (
	A     RecordType = "A"
	CNAME RecordType = "CNAME"
)
