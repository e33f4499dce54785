package config

import (
	"net/http"
	"time"

	cartv1 "github.com/vmware-tanzu/cartographer/pkg/apis/v1alpha1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/example/fleet/common"
	dns "github.com/example/fleet/config/network"
	"github.com/example/fleet/nexus"
)

var PatchResponses = nexus.HTTPCodesResponse{
	http.StatusOK:              nexus.HTTPResponse{Description: "patched"},
	http.StatusBadRequest:      nexus.HTTPResponse{Description: http.StatusText(http.StatusBadRequest)},
	nexus.DefaultHTTPErrorCode: nexus.DefaultHTTPError,
}

var ConfigCustomMethods = nexus.HTTPMethodsResponses{
	http.MethodPatch: PatchResponses,
	"WATCH":          nexus.DefaultHTTPGETResponses,
}

var ConfigRestAPISpec = nexus.RestAPISpec{
	Uris: []nexus.RestURIs{
		{
			Uri:         "/config/{config.Config}",
			QueryParams: []string{"root.Fleet"},
			Methods:     nexus.DefaultHTTPMethodsResponses,
		},
		{
			Uri:     "/configs",
			Methods: nexus.HTTPListResponse,
		},
		{
			Uri:     "/config/{config.Config}/settings",
			Methods: ConfigCustomMethods,
		},
	},
}

// Config holds fleet-wide settings.
// nexus-rest-api-gen:ConfigRestAPISpec
// nexus-description: fleet-wide settings & <defaults>
type Config struct {
	nexus.Node
	DNS      dns.Dns          `nexus:"child"`
	Access   dns.AccessPolicy `nexus:"children"`
	Policies dns.AccessPolicy `nexus:"links"`
	Primary  dns.Zone         `nexus:"link"`

	//nexus-validation: MaxLength=63, MinLength=1
	//nexus-validation: Pattern=^[a-z]([-a-z0-9]*[a-z0-9])?$
	ClusterName string `json:"clusterName"`
	//nexus-validation: Maximum=65535, Minimum=1, ExclusiveMinimum=false
	Port common.Port
	//nexus-validation: Maximum=0.95, Minimum=0.05, ExclusiveMaximum=true
	Ratio float64 `json:"ratio,omitempty"`
	//nexus-validation: MaxItems=8, MinItems=1, ListType=set
	Zones []string
	//nexus-validation: MaxProperties=16, MinProperties=1
	Labels   common.Labels `json:"labels,omitempty"`
	Tags     common.Tags   `json:"tags,omitempty"`
	Endpoint common.HostPort
	Backup   *common.HostPort `json:"backup,omitempty"`

	TargetPort intstr.IntOrString   `json:"targetPort"`
	Ports      []intstr.IntOrString `json:"ports,omitempty"`
	Memory     resource.Quantity
	Timeout    metav1.Duration
	CreatedAt  time.Time
	Interval   time.Duration
	UpdatedAt  *metav1.Time        `json:"updatedAt,omitempty"`
	Workload   cartv1.WorkloadSpec // a type from outside the datamodel
	Selector   *metav1.LabelSelector

	Settings map[string]interface{} `json:"settings" nexus-graphql-jsonencoded:""`
	// nexus-graphql-jsonencoded
	Annotations map[string]string `json:"annotations,omitempty"`

	Replicas int32  `json:"replicas,string"`
	Enabled  *bool  `json:"enabled,string,omitempty"`
	Secret   string `json:"-"`
	Dash     string `json:"-,"`
	Checksum []byte
	Weights  [3]float32
	Matrix   [][]int64
	Routes   map[string][]common.HostPort
	Raw      interface{} `json:"raw,omitempty"`
	Anything any         `json:"anything,omitzero"`
	Nothing  struct{}
	Meta     struct {
		Owner string `json:"owner"`
		Team  string `json:"team,omitempty"`
	} `json:"meta"`
	internalNote string
}
