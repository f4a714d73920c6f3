package pii

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type corpusLine struct {
	line  int
	kinds []Kind // expected; empty for a hard negative
	lang  string
	text  string
}

func loadCorpus(t testing.TB) []corpusLine {
	f, err := os.Open("testdata/corpus.tsv")
	require.NoError(t, err)
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.SplitN(l, "\t", 3)
		require.Len(t, parts, 3, "line %d", n)
		c := corpusLine{line: n, lang: parts[1], text: strings.ReplaceAll(parts[2], `\n`, "\n")}
		if parts[0] != "-" {
			for _, k := range strings.Split(parts[0], ",") {
				require.Contains(t, Kinds, Kind(k), "line %d", n)
				c.kinds = append(c.kinds, Kind(k))
			}
		}
		out = append(out, c)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestCorpusRecallAndFalsePositives measures the detector on the labelled
// corpus: recall over (line, kind) pairs of the positives, and the share
// of hard negatives (order numbers, dates, versions, UUIDs, prices, ISBNs,
// failed checksums, documentation placeholders) with any finding.
func TestCorpusRecallAndFalsePositives(t *testing.T) {
	d, err := New(Config{})
	require.NoError(t, err)
	corpus := loadCorpus(t)
	require.GreaterOrEqual(t, len(corpus), 300)

	var expected, hit, negatives, falsePos, spurious int
	perKind := map[Kind][2]int{} // found, expected
	for _, c := range corpus {
		var found []Kind
		for _, f := range d.Find(c.text) {
			if !slices.Contains(found, f.Kind) {
				found = append(found, f.Kind)
			}
		}
		if len(c.kinds) == 0 {
			negatives++
			if len(found) > 0 {
				falsePos++
				t.Logf("false positive, line %d: %v in %q", c.line, found, c.text)
			}
			continue
		}
		for _, k := range c.kinds {
			expected++
			pk := perKind[k]
			pk[1]++
			if slices.Contains(found, k) {
				hit++
				pk[0]++
			} else {
				t.Logf("missed %s, line %d: %q (found %v)", k, c.line, c.text, found)
			}
			perKind[k] = pk
		}
		for _, k := range found {
			if !slices.Contains(c.kinds, k) {
				spurious++
				t.Logf("unexpected %s, line %d: %q", k, c.line, c.text)
			}
		}
	}
	recall := float64(hit) / float64(expected)
	fpr := float64(falsePos) / float64(negatives)
	t.Logf("corpus: %d lines, %d expected findings, %d hard negatives", len(corpus), expected, negatives)
	for _, k := range Kinds {
		t.Logf("  %-12s recall %d/%d", k, perKind[k][0], perKind[k][1])
	}
	t.Logf("recall %.3f, false-positive rate %.3f (%d/%d), unexpected kinds on positives %d",
		recall, fpr, falsePos, negatives, spurious)
	require.GreaterOrEqual(t, recall, 0.95, "recall")
	require.LessOrEqual(t, fpr, 0.02, "false-positive rate")
	require.LessOrEqual(t, spurious, expected/50, "unexpected kinds on positive lines")
}
