package tree

import "testing"

// An encoder forgets its remembered prices when it is released: the
// next tree it serves may hold a PriceRef at an address a released one
// had, and would be written with the old one's prices.
func TestHeadJSONReleaseForgetsPrices(t *testing.T) {
	var e headJSON
	p := &PriceRef{Model: "a", Source: "s", Prices: map[string]float64{"input_mtok": 1}}
	e.price(p)
	e.price(p)
	if len(e.prices) != 1 {
		t.Fatalf("remembered %d prices, want 1", len(e.prices))
	}
	e.release()
	if len(e.prices) != 0 {
		t.Fatal("a released encoder remembers prices")
	}
	*p = PriceRef{Model: "b", Source: "s"} // another tree's ref at the same address
	e.b = e.b[:0]
	e.price(p)
	if got, want := string(e.b), `,"price":{"model":"b","source":"s"}`; got != want {
		t.Fatalf("after release: %s, want %s", got, want)
	}
}
