package regions

import (
	"github.com/example/fleet/common"
	"github.com/example/fleet/config/network"
	"github.com/example/fleet/nexus"
)

type Region struct {
	nexus.Node
	Location common.GeoPoint `json:"location"`
	Leaf     Leaf            `nexus:"children"`
	Batch    Batch           `nexus:"child"`
	HomeZone network.Zone    `nexus:"link"`
}

type Leaf struct {
	nexus.Node
	Weight  uint8
	Flag    int16
	Counter uint64
	Small   int8
	Big     uint
	Medium  uint16
	Large   int64
	Rune    rune
	Float   float32
	Double  float64
	Text    string
	Ok      bool
}

type Batch struct {
	nexus.Node
}
