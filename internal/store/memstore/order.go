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

// rowOrder is a summary row's position in a search: newest start first
// (ties by id, descending), or for a trace search by store.SortCost highest
// cost first, then the same. Costs order as store.SortableCost says, as in
// every backend.
type rowOrder struct {
	byCost bool
	cost   float64
	start  time.Time
	id     string
}

func traceOrder(r *store.TraceSummary, sort store.TraceSort) rowOrder {
	return rowOrder{byCost: sort == store.SortCost, cost: store.SortableCost(r.Cost), start: r.Start, id: r.TraceID}
}

// before reports whether k comes before o in the page order.
func (k rowOrder) before(o rowOrder) bool {
	if k.byCost && k.cost != o.cost {
		return k.cost > o.cost
	}
	if !k.start.Equal(o.start) {
		return k.start.After(o.start)
	}
	return k.id > o.id
}

// compare is before as a comparison function (for slices.SortFunc).
func (k rowOrder) compare(o rowOrder) int {
	switch {
	case k.before(o):
		return -1
	case o.before(k):
		return 1
	}
	return 0
}

// cursor encodes k, the last row of a page: the next page starts strictly
// after it, so pages neither skip nor repeat rows. The start order's cursor
// is the row's (start, id); the cost order's adds the cost.
func (k rowOrder) cursor() string {
	raw := strconv.FormatInt(k.start.UnixNano(), 10) + ":" + k.id
	if k.byCost {
		raw = "c" + strconv.FormatUint(math.Float64bits(k.cost), 16) + ":" + raw
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var errBadCursor = errors.New("memstore: bad cursor")

// decodeOrderCursor parses a cursor made by rowOrder.cursor for a search
// in the given order.
func decodeOrderCursor(c string, sort store.TraceSort) (rowOrder, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return rowOrder{}, fmt.Errorf("%w: %w", errBadCursor, err)
	}
	var k rowOrder
	rest := string(b)
	if sort == store.SortCost {
		bits, more, ok := strings.Cut(strings.TrimPrefix(rest, "c"), ":")
		cb, err := strconv.ParseUint(bits, 16, 64)
		if !ok || !strings.HasPrefix(rest, "c") || err != nil {
			return rowOrder{}, errBadCursor
		}
		k.byCost, k.cost, rest = true, math.Float64frombits(cb), more
	}
	ns, id, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil {
		return rowOrder{}, errBadCursor
	}
	k.start, k.id = time.Unix(0, n).UTC(), id
	return k, nil
}
