package memstore

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// traceOrderKey is a row's position in a trace search: newest start first
// (ties by id, descending), or for store.SortCost highest cost first, then
// the same. Costs order as store.SortableCost says, as in every backend.
type traceOrderKey struct {
	byCost bool
	cost   float64
	start  time.Time
	id     string
}

func orderKey(r *store.TraceSummary, sort store.TraceSort) traceOrderKey {
	return traceOrderKey{byCost: sort == store.SortCost, cost: store.SortableCost(r.Cost), start: r.Start, id: r.TraceID}
}

// before reports whether k comes before o in the page order.
func (k traceOrderKey) before(o traceOrderKey) bool {
	if k.byCost && k.cost != o.cost {
		return k.cost > o.cost
	}
	return newer(k.start, k.id, o.start, o.id)
}

// cursor encodes k; a start-ordered cursor keeps EncodeCursor's form.
func (k traceOrderKey) cursor() string {
	if !k.byCost {
		return EncodeCursor(k.start, k.id)
	}
	raw := "c" + strconv.FormatUint(math.Float64bits(k.cost), 16) + ":" + strconv.FormatInt(k.start.UnixNano(), 10) + ":" + k.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeOrderCursor(c string, sort store.TraceSort) (traceOrderKey, error) {
	if sort != store.SortCost {
		start, id, err := DecodeCursor(c)
		return traceOrderKey{start: start, id: id}, err
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || b[0] != 'c' {
		return traceOrderKey{}, errors.New("bad cursor")
	}
	bits, rest, ok := strings.Cut(string(b[1:]), ":")
	if !ok {
		return traceOrderKey{}, errors.New("bad cursor")
	}
	ns, id, ok := strings.Cut(rest, ":")
	if !ok {
		return traceOrderKey{}, errors.New("bad cursor")
	}
	cb, err1 := strconv.ParseUint(bits, 16, 64)
	n, err2 := strconv.ParseInt(ns, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return traceOrderKey{}, fmt.Errorf("bad cursor: %w", err)
	}
	return traceOrderKey{byCost: true, cost: math.Float64frombits(cb), start: time.Unix(0, n).UTC(), id: id}, nil
}
