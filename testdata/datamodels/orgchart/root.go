package root

import "github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus"

var LeaderRestAPISpec = nexus.RestAPISpec{
	Uris: []nexus.RestURIs{
		{Uri: "/leader/{root.Leader}", Methods: nexus.DefaultHTTPMethodsResponses},
		{Uri: "/leaders", Methods: nexus.HTTPListResponse},
	},
}

// nexus-rest-api-gen:LeaderRestAPISpec
type Leader struct {
	nexus.Node
	Name          string
	Designation   string
	DirectReports Manager `nexus:"children"`
	Location      string  `json:"location,omitempty"`
}

type Manager struct {
	nexus.Node
	Name          string
	Designation   string
	DirectReports Engineer `nexus:"children"`
}

type Engineer struct {
	nexus.Node
	Name        string
	Designation string
}
