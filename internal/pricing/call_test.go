package pricing

import (
	"reflect"
	"testing"
)

// TestPriceCallScratch: a call with Scratch prices exactly as one without,
// into the scratch's array when it is large enough, and a router-style
// name's second lookup uses it too.
func TestPriceCallScratch(t *testing.T) {
	tab, at, u := sampleCall()
	for _, c := range []Call{
		{Usage: u, RequestModel: "gpt-4o", Provider: "openai", Start: at},
		{Usage: u, RequestModel: "openai/gpt-4o", Start: at},
	} {
		want, err := tab.PriceCall(c)
		if err != nil {
			t.Fatalf("%s: %v", c.RequestModel, err)
		}
		scratch := make([]UnitPrice, 3, 64)
		scratch[0] = UnitPrice{Key: "stale", Price: 99}
		c.Scratch = scratch
		got, err := tab.PriceCall(c)
		if err != nil {
			t.Fatalf("%s with scratch: %v", c.RequestModel, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: with scratch %+v, without %+v", c.RequestModel, got, want)
		}
		if len(got.Prices) == 0 || &got.Prices[0] != &scratch[:1][0] {
			t.Errorf("%s: prices not written into the scratch array", c.RequestModel)
		}
	}
}
