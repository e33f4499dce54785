package common

type Port uint16

type Host string

type HostPort struct {
	Host Host `json:"host"`
	Port Port `json:"port"`
}

type Labels map[string]string

type Tags = []string

type GeoPoint struct {
	Lat float64
	Lng float64
	Alt *float32 `json:"alt,omitempty"`
}
