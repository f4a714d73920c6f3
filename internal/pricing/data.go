package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// This file holds the data model of genai-prices' price data and its
// decoding. The JSON layout is the library's own (see refresh/extract.mjs),
// so a newer data file can be loaded without code changes.

//go:embed data/prices.json
var embeddedPrices []byte

// fileFormat is data/prices.json: the library's provider list, its unit
// registry and where both came from. Load also accepts a bare provider array
// (the library's upstream data.json), which then uses the embedded units.
type fileFormat struct {
	Source *struct {
		Package       string  `json:"package"`
		Version       string  `json:"version"`
		DataTimestamp *string `json:"data_timestamp"`
	} `json:"source"`
	Units     map[string]unitJSON `json:"units"`
	Providers []providerJSON      `json:"providers"`
}

type unitJSON struct {
	Dimensions map[string]string `json:"dimensions"`
	Per        float64           `json:"per"`
	PriceKey   string            `json:"price_key"`
}

type providerJSON struct {
	ID                     string      `json:"id"`
	Name                   string      `json:"name"`
	ModelMatch             *matchJSON  `json:"model_match"`
	ProviderMatch          *matchJSON  `json:"provider_match"`
	FallbackModelProviders []string    `json:"fallback_model_providers"`
	Models                 []modelJSON `json:"models"`
}

type modelJSON struct {
	ID     string          `json:"id"`
	Match  matchJSON       `json:"match"`
	Prices json.RawMessage `json:"prices"`
}

// matchJSON is genai-prices' MatchLogic: an object with one of these keys.
type matchJSON struct {
	Or         []matchJSON `json:"or"`
	And        []matchJSON `json:"and"`
	Equals     *string     `json:"equals"`
	StartsWith *string     `json:"starts_with"`
	EndsWith   *string     `json:"ends_with"`
	Contains   *string     `json:"contains"`
	Regex      *string     `json:"regex"`
}

type conditionalJSON struct {
	Constraint *struct {
		Type      string `json:"type"`
		StartDate string `json:"start_date"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
	} `json:"constraint"`
	Prices json.RawMessage `json:"prices"`
}

// provider is one provider of the data, with its models in data order
// (matching is first-match-wins, so order is semantics).
type provider struct {
	id            string
	name          string
	modelMatch    *matcher
	providerMatch *matcher
	fallbacks     []string
	models        []*model
}

type model struct {
	id    string
	match *matcher
	// prices holds one entry for a model with a single price, else the
	// conditional prices in data order (selection walks them backwards).
	prices []conditionalPrice
}

type conditionalPrice struct {
	constraint *constraint // nil: unconditional
	prices     *priceSet
}

// constraint is a start-date or time-of-day condition on a price.
type constraint struct {
	startDate time.Time // start_date: midnight UTC of the date
	// time_of_date: seconds after midnight UTC, end exclusive; a window with
	// end < start wraps past midnight.
	timeOfDay        bool
	startSec, endSec float64
	raw              string // for error messages
}

// priceSet is one ModelPrice: price keys in data order (costs are summed in
// that order, as the library does) and what calcPrice derives from them.
type priceSet struct {
	entries []priceEntry
	// err is what the library would throw for every call priced with this
	// set (an invalid price value, a missing ancestor or join price); it is
	// kept rather than failing the whole load, because the library only fails
	// calls to this one model.
	err error
	// leafOrder: the priced usage units except requests, most specific
	// first, so every unit's descendants are computed before it.
	leafOrder []*unit
	// leafDescendants[i] are the positions in leafOrder of the units more
	// specific than leafOrder[i] (its priced descendants), whose leaf
	// values it gives up; entryLeaf[i] is the position in leafOrder of
	// entries[i]'s unit (-1 for requests). Both are derived once per price
	// set, not per call.
	leafDescendants [][]int
	entryLeaf       []int
	tiered          bool // some price is tiered by input tokens
	hasRequests     bool // a per-request price: every call is one request
}

type priceEntry struct {
	key   string // price key as in the data, e.g. "input_mtok"
	unit  *unit
	flat  float64
	tiers *tieredPrice // non-nil: tiered
}

// tieredPrice: base applies up to the first tier; a tier applies when the
// call's total input tokens exceed its start.
type tieredPrice struct {
	base  float64
	tiers []tier // ascending start
}

type tier struct {
	start int64
	price float64
}

// sourceName is what Result.Source says for prices from this data.
func sourceName(f *fileFormat, fallback string) string {
	if f.Source != nil && f.Source.Package != "" {
		s := f.Source.Package + " " + f.Source.Version
		if f.Source.DataTimestamp != nil && *f.Source.DataTimestamp != "" {
			s += " (" + *f.Source.DataTimestamp + ")"
		}
		return s
	}
	return fallback
}

var (
	defaultOnce  sync.Once
	defaultTable *Table
	defaultErr   error
)

// Default returns the table parsed from the embedded genai-prices data. It
// is parsed once; the table is immutable and safe for concurrent use.
func Default() (*Table, error) {
	defaultOnce.Do(func() {
		defaultTable, defaultErr = parse(embeddedPrices, nil, "embedded")
		if defaultErr != nil {
			defaultErr = fmt.Errorf("pricing: embedded data/prices.json: %w", defaultErr)
		}
	})
	return defaultTable, defaultErr
}

// MustDefault is Default for callers that treat broken embedded data as a
// build defect (the tests guarantee it parses).
func MustDefault() *Table {
	t, err := Default()
	if err != nil {
		panic(err)
	}
	return t
}

// Load reads a price data file of the embedded format (refresh/extract.mjs
// output) or a bare genai-prices provider array, so prices can be refreshed
// without rebuilding the collector. A file without a unit registry uses the
// embedded one.
func Load(path string) (*Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pricing: load price data: %w", err)
	}
	def, err := Default()
	if err != nil {
		return nil, err
	}
	t, err := parse(b, def.units, "file "+path)
	if err != nil {
		return nil, fmt.Errorf("pricing: load price data %s: %w", path, err)
	}
	return t, nil
}

// parse decodes data; units is used when the data carries no unit registry.
func parse(b []byte, units *unitRegistry, fallbackSource string) (*Table, error) {
	var f fileFormat
	if trimmed := bytes.TrimLeft(b, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(b, &f.Providers); err != nil {
			return nil, fmt.Errorf("decode provider array: %w", err)
		}
	} else if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if len(f.Providers) == 0 {
		return nil, errors.New("no providers")
	}
	if len(f.Units) > 0 {
		var err error
		if units, err = newUnitRegistry(f.Units); err != nil {
			return nil, err
		}
	}
	if units == nil {
		return nil, errors.New("no unit registry")
	}
	t := &Table{source: sourceName(&f, fallbackSource), units: units, byID: map[string]*provider{},
		resolved: &sync.Map{}, resolvedN: &atomic.Int64{}}
	for i := range f.Providers {
		p, err := decodeProvider(&f.Providers[i], units)
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", f.Providers[i].ID, err)
		}
		t.providers = append(t.providers, p)
		if _, dup := t.byID[p.id]; !dup { // the library takes the first with an id
			t.byID[p.id] = p
		}
	}
	return t, nil
}

func decodeProvider(pj *providerJSON, units *unitRegistry) (*provider, error) {
	if pj.ID == "" {
		return nil, errors.New("empty id")
	}
	p := &provider{id: pj.ID, name: pj.Name, fallbacks: pj.FallbackModelProviders}
	var err error
	if pj.ModelMatch != nil {
		if p.modelMatch, err = compileMatch(pj.ModelMatch); err != nil {
			return nil, fmt.Errorf("model_match: %w", err)
		}
	}
	if pj.ProviderMatch != nil {
		if p.providerMatch, err = compileMatch(pj.ProviderMatch); err != nil {
			return nil, fmt.Errorf("provider_match: %w", err)
		}
	}
	for i := range pj.Models {
		mj := &pj.Models[i]
		m := &model{id: mj.ID}
		if m.match, err = compileMatch(&mj.Match); err != nil {
			return nil, fmt.Errorf("model %q: match: %w", mj.ID, err)
		}
		if m.prices, err = decodeModelPrices(mj.Prices, units); err != nil {
			return nil, fmt.Errorf("model %q: prices: %w", mj.ID, err)
		}
		p.models = append(p.models, m)
	}
	return p, nil
}

// decodeModelPrices accepts a ModelPrice object or an array of
// ConditionalPrice. Constraints are accepted with or without their "type",
// as the library normalises both.
func decodeModelPrices(raw json.RawMessage, units *unitRegistry) ([]conditionalPrice, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		ps, err := decodePriceSet(raw, units)
		if err != nil {
			return nil, err
		}
		return []conditionalPrice{{prices: ps}}, nil
	}
	var cs []conditionalJSON
	if err := json.Unmarshal(raw, &cs); err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errors.New("empty conditional price list")
	}
	out := make([]conditionalPrice, 0, len(cs))
	for i, c := range cs {
		ps, err := decodePriceSet(c.Prices, units)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		cp := conditionalPrice{prices: ps}
		if c.Constraint != nil {
			if cp.constraint, err = decodeConstraint(c.Constraint.Type, c.Constraint.StartDate, c.Constraint.StartTime, c.Constraint.EndTime); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		out = append(out, cp)
	}
	return out, nil
}

var startDateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func decodeConstraint(typ, startDate, startTime, endTime string) (*constraint, error) {
	switch {
	case typ == "start_date" || (typ == "" && startDate != ""):
		d, err := time.Parse(time.DateOnly, startDate)
		if err != nil || !startDateRE.MatchString(startDate) {
			return nil, fmt.Errorf("invalid start_date constraint %q", startDate)
		}
		return &constraint{startDate: d, raw: "start_date " + startDate}, nil
	case typ == "time_of_date" || (typ == "" && startTime != ""):
		s, err := parseTimeOfDay(startTime)
		if err != nil {
			return nil, err
		}
		e, err := parseTimeOfDay(endTime)
		if err != nil {
			return nil, err
		}
		return &constraint{timeOfDay: true, startSec: s, endSec: e, raw: "time_of_date " + startTime + "-" + endTime}, nil
	}
	return nil, fmt.Errorf("unknown price constraint type %q", typ)
}

var timeOfDayRE = regexp.MustCompile(`^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$`)

// parseTimeOfDay is the library's time-of-day parser: "HH:MM:SS[.frac]"
// with "Z" or a "±HH:MM" offset, as seconds after midnight UTC.
func parseTimeOfDay(s string) (float64, error) {
	m := timeOfDayRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid time-of-day constraint: %q", s)
	}
	num := func(x string) float64 {
		v, _ := strconv.ParseFloat(x, 64) // the pattern admits only digits
		return v
	}
	h, mi, sec := num(m[1]), num(m[2]), num(m[3])
	oh, om := "00", "00"
	if m[6] != "" {
		oh, om = m[7], m[8]
	}
	if h > 23 || mi > 59 || sec > 59 || oh > "23" || om > "59" {
		return 0, fmt.Errorf("invalid time-of-day constraint: %q", s)
	}
	frac := 0.0
	if m[4] != "" {
		frac = num("0." + m[4])
	}
	offset := (num(oh)*60 + num(om)) * 60
	switch m[6] {
	case "-":
		offset = -offset
	case "":
		offset = 0
	}
	v := h*3600 + mi*60 + sec + frac
	return math.Mod(v-offset+86400, 86400), nil
}

// decodePriceSet decodes a ModelPrice keeping key order, then derives what
// the library validates and computes per call (ancestor/join prices present,
// unit evaluation order). Price keys the unit registry does not know are
// skipped, as the library warns and ignores them.
func decodePriceSet(raw json.RawMessage, units *unitRegistry) (*priceSet, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("expected a price object, got %s", truncate(raw))
	}
	ps := &priceSet{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		u := units.byPrice[key]
		if u == nil {
			continue
		}
		e := priceEntry{key: key, unit: u}
		if perr := decodePriceValue(v, &e); perr != nil && ps.err == nil {
			ps.err = fmt.Errorf("invalid price value for %s: expected a finite non-negative number or valid tiered prices", key)
		}
		ps.entries = append(ps.entries, e)
	}
	ps.finish(units)
	return ps, nil
}

// finish derives the evaluation order and the library's validation from the
// entries.
func (ps *priceSet) finish(units *unitRegistry) {
	ps.leafOrder = ps.leafOrder[:0]
	for _, e := range ps.entries {
		if e.tiers != nil {
			ps.tiered = true
		}
		if e.unit.usageKey == "requests" {
			ps.hasRequests = true
		} else {
			ps.leafOrder = append(ps.leafOrder, e.unit)
		}
	}
	if ps.err == nil {
		ps.err = units.validatePriced(ps.entries)
	}
	// Descendants have strictly more dimensions, so this order computes them
	// first; ties are unrelated units, ordered by key for determinism.
	sort.SliceStable(ps.leafOrder, func(i, j int) bool {
		a, b := ps.leafOrder[i], ps.leafOrder[j]
		if len(a.dims) != len(b.dims) {
			return len(a.dims) > len(b.dims)
		}
		return a.usageKey < b.usageKey
	})
	ps.leafDescendants = make([][]int, len(ps.leafOrder))
	for i, n := range ps.leafOrder {
		for j, p := range ps.leafOrder {
			if p != n && subsetOf(n, p) {
				ps.leafDescendants[i] = append(ps.leafDescendants[i], j)
			}
		}
	}
	ps.entryLeaf = make([]int, len(ps.entries))
	for i, e := range ps.entries {
		ps.entryLeaf[i] = -1
		// The last position of the unit, as a map keyed by usage key kept
		// the last value computed for it.
		for j, u := range ps.leafOrder {
			if u.usageKey == e.unit.usageKey {
				ps.entryLeaf[i] = j
			}
		}
	}
}

func decodePriceValue(v json.RawMessage, e *priceEntry) error {
	var f float64
	if err := json.Unmarshal(v, &f); err == nil && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		if f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return errors.New("negative")
		}
		e.flat = f
		return nil
	}
	var t struct {
		Base  *float64 `json:"base"`
		Tiers []struct {
			Start *float64 `json:"start"`
			Price *float64 `json:"price"`
		} `json:"tiers"`
	}
	if err := json.Unmarshal(v, &t); err != nil || t.Base == nil || *t.Base < 0 || t.Tiers == nil {
		return errors.New("invalid")
	}
	tp := &tieredPrice{base: *t.Base}
	for _, x := range t.Tiers {
		if x.Start == nil || x.Price == nil || *x.Price < 0 || *x.Start < 0 || *x.Start != math.Trunc(*x.Start) || *x.Start > 1<<53-1 {
			return errors.New("invalid tier")
		}
		tp.tiers = append(tp.tiers, tier{start: int64(*x.Start), price: *x.Price})
	}
	sort.SliceStable(tp.tiers, func(i, j int) bool { return tp.tiers[i].start < tp.tiers[j].start })
	e.tiers = tp
	return nil
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
