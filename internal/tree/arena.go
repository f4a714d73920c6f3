package tree

import "github.com/otelcol-genai/otelcol-genai/internal/jsonscan"

// arena is the fold's jsonscan.Arena under a local name, so the fold's
// decoders (parseUsage, parseCost, modelParams, …) can be its methods. The
// conversions are free and keep the nil arena (which allocates per object)
// usable.
type arena jsonscan.Arena

type (
	object = jsonscan.Object
	member = jsonscan.Member
)

func (a *arena) reset() { (*jsonscan.Arena)(a).Reset() }

func (a *arena) parseObject(data []byte) object { return (*jsonscan.Arena)(a).ParseObject(data) }

func (a *arena) subObject(v []byte) object { return (*jsonscan.Arena)(a).SubObject(v) }

func (a *arena) rawMembers(v []byte) []member { return (*jsonscan.Arena)(a).RawMembers(v) }
