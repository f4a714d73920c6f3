package pii

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Finding is one match: its kind and byte range in the text. It holds no
// copy of the value.
type Finding struct {
	Kind       Kind
	Start, End int
	// Detail names the format for secrets (openai_key, aws_access_key,
	// jwt, private_key, ...) and the network for cards (visa, amex, ...).
	Detail string
}

// Normalized returns the finding's value in text reduced to its letters
// and digits, lower-cased: the same number written two ways compares
// equal. For deduplication, never for display.
func (f Finding) Normalized(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text[f.Start:f.End]) {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 0x7f || r == '@' || r == '.' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Detector finds the configured kinds. It is immutable and safe for
// concurrent use.
type Detector struct {
	kinds   map[Kind]bool
	regions []string
}

// New returns a detector for cfg.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{kinds: map[Kind]bool{}}
	for _, k := range cfg.Kinds {
		d.kinds[Kind(k)] = true
	}
	if len(d.kinds) == 0 {
		for _, k := range Kinds {
			d.kinds[k] = true
		}
	}
	regions := cfg.PhoneRegions
	if len(regions) == 0 {
		regions = DefaultPhoneRegions
	}
	for _, r := range regions {
		d.regions = append(d.regions, strings.ToUpper(r))
	}
	return d, nil
}

// finder finds one kind; it skips ranges already claimed.
type finder struct {
	kind Kind
	find func(d *Detector, sc *scan) []Finding
}

// order is the order kinds claim text: the most specific formats first,
// so a card number inside a JWT or an IBAN's digits are not also read as
// a phone number.
var order = []finder{
	{Secret, findSecrets},
	{Email, findEmails},
	{IBAN, findIBANs},
	{Card, findCards},
	{SSN, findSSNs},
	{Phone, findPhones},
}

// Find returns every finding in text, ordered by position. Ranges do not
// overlap.
func (d *Detector) Find(text string) []Finding {
	sc := &scan{text: text}
	var out []Finding
	for _, f := range order {
		if !d.kinds[f.kind] {
			// A disabled kind still claims its text, so that e.g. the
			// digits of an IBAN are not reported as a phone number when
			// only phones are asked for.
			for _, x := range f.find(d, sc) {
				sc.taken.add(x.Start, x.End)
			}
			continue
		}
		for _, x := range f.find(d, sc) {
			sc.taken.add(x.Start, x.End)
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b Finding) int { return a.Start - b.Start })
	return out
}

// Count returns the number of findings per kind.
func (d *Detector) Count(text string) map[Kind]int {
	m := map[Kind]int{}
	for _, f := range d.Find(text) {
		m[f.Kind]++
	}
	return m
}

// scan is one Find call: the text, the ranges claimed so far and the
// windows worth running a kind's regular expression on. Go's regexp
// engine is linear but not fast, and most text has no '@', few digits and
// no key prefixes: looking only where a match can start keeps a 4 KB
// message in the tens of microseconds.
type scan struct {
	text   string
	taken  claims
	digits [][2]int // digitSpans, computed on first use
	done   bool
}

// digitSpans returns the runs of digits and phone/card separators (space,
// no-break space, - . / ( ) +) holding at least 7 digits: the only places a
// card, SSN or phone number can be.
func (sc *scan) digitSpans() [][2]int {
	if sc.done {
		return sc.digits
	}
	sc.done = true
	t := sc.text
	start, n := -1, 0
	flush := func(end int) {
		if start >= 0 && n >= 7 {
			sc.digits = append(sc.digits, [2]int{start, end})
		}
		start, n = -1, 0
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case isDigit(c):
			n++
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == '+':
		case c == 0xC2 && i+1 < len(t) && t[i+1] == 0xA0: // no-break space
			if start < 0 {
				start = i
			}
			i++
			continue
		default:
			flush(i)
			continue
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(t))
	return sc.digits
}

// matchIn runs re over each window of text and returns the submatch
// indexes relative to text. The windows must not overlap.
func matchIn(re *regexp.Regexp, text string, windows [][2]int) [][]int {
	var out [][]int
	for _, w := range windows {
		for _, m := range re.FindAllStringSubmatchIndex(text[w[0]:w[1]], -1) {
			for i := range m {
				if m[i] >= 0 {
					m[i] += w[0]
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// around returns windows of before/after bytes around each position,
// merged where they overlap.
func around(text string, positions []int, before, after int) [][2]int {
	var out [][2]int
	for _, p := range positions {
		w := [2]int{max(0, p-before), min(len(text), p+after)}
		if n := len(out); n > 0 && w[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], w[1])
			continue
		}
		out = append(out, w)
	}
	return out
}

// claims are byte ranges already reported.
type claims [][2]int

func (c *claims) add(s, e int) { *c = append(*c, [2]int{s, e}) }

func (c claims) overlaps(s, e int) bool {
	for _, r := range c {
		if s < r[1] && r[0] < e {
			return true
		}
	}
	return false
}

func (f Finding) String() string {
	if f.Detail != "" {
		return fmt.Sprintf("%s(%s)@%d-%d", f.Kind, f.Detail, f.Start, f.End)
	}
	return fmt.Sprintf("%s@%d-%d", f.Kind, f.Start, f.End)
}

// isWordByte reports letters, digits and '_' (ASCII).
func isWordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
