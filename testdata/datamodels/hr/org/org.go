package org

import "github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus"

type Department struct {
	nexus.Node
	Employees Employee         `nexus:"children"`
	Head      Employee         `nexus:"link"`
	Budget    Money            `json:"budget"`
	State     DepartmentStatus `nexus:"status"`
}

type Employee struct {
	nexus.Node
	Name   string           `json:"name"`
	Email  string           `json:"email,omitempty"`
	Salary Money            `json:"salary,string"`
	Skills map[string]Level `json:"skills,omitempty"`
	Notes  string           `nexus:"ignore"`
	Alias  Alias
	Bonus  *Money `json:"bonus,string,omitempty"`
	Extra  nexus.NexusGenericObject `json:"extra,omitempty"`
}

type Money Cents

type Cents int64

type Level int

// Alias is a type alias of a named type: the schema is the named type's.
type Alias = Level

type DepartmentStatus struct {
	Headcount int `json:"headcount"`
	Open      bool
}
