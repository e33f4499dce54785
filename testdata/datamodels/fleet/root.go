package root

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/example/fleet/config"
	"github.com/example/fleet/nexus"
	"github.com/example/fleet/regions"
)

// Fleet is the one root of the datamodel.
// nexus-description: the whole fleet, one per cluster
type Fleet struct {
	nexus.SingletonNode
	Config  config.Config  `nexus:"child"`
	Regions regions.Region `nexus:"children"`
	Health  FleetHealth    `nexus:"status"`
}

// FleetHealth is the status of the fleet.
type FleetHealth struct {
	Healthy  bool
	LastSync metav1.Time `json:"lastSync,omitempty"`
	//nexus-validation: MaxItems=100
	Messages []string `json:"messages,omitempty"`
}
