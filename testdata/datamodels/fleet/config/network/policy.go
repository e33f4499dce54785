package network

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/example/fleet/nexus"
)

type AccessPolicy struct {
	nexus.Node
	Rules  []Rule
	Result PolicyResult `nexus:"status"`
}

type Rule struct {
	Action   string `json:"action"`
	Priority int8   `json:"priority"`
	Weight   uint8  `json:"weight,omitempty"`
	Cidrs    [2]string
}

type PolicyResult struct {
	Applied    int                `json:"applied"`
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
