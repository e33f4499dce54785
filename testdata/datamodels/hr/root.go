package hr

import (
	"example.org/hr/org"
	"github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus"
)

// HumanResources is one of two roots: its plural keeps the original compiler's quirk.
type HumanResources struct {
	nexus.Node
	Departments org.Department `nexus:"children"`
	Policy      Policy         `nexus:"child"`
	Box         Box            `nexus:"child"`

	Base   // embedded: its fields are inlined
	*Audit // embedded pointer: inlined too; its Code is hidden by the direct field below

	Code    Code `json:"code"`
	ABCHost string
	Nested  struct {
		Inner struct {
			Deep []map[string]*Code `json:"deep"`
		} `json:"inner"`
	}
}

type Base struct {
	ID      string `json:"id"`
	Created string `json:"created,omitempty"`
}

type Audit struct {
	By   string
	Code int
}

type Code string

type (
	// Policy is a singleton child.
	Policy struct {
		nexus.SingletonNode
		Text string
	}

	Box struct {
		nexus.Node
		Size int
	}
)

// Archive is the second root.
// nexus-description: old records, kept for audits
type Archive struct {
	nexus.Node
	Since string
	Owner org.Employee `nexus:"link"`
}
