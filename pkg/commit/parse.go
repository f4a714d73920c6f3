package commit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// LineError reports one body line that could not be parsed. Line is
// 1-based and counts physical lines of the body (empty lines included), so
// it points at the same line an operator sees in a dump of the request.
type LineError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	// Text is the offending line, truncated to MaxErrorText bytes so a huge
	// malformed line cannot blow up logs or response bodies.
	Text string `json:"text,omitempty"`
}

// MaxErrorText bounds LineError.Text.
const MaxErrorText = 256

func (e LineError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// ErrLine is the sentinel every line-parse error wraps.
var ErrLine = errors.New("malformed commit line")

// Grammar markers (docs/protocol.md §2.2):
//
//	line := entity "{" "id=" id ",action=" action ",data=" json "}"
var (
	markID     = []byte("{id=")
	markAction = []byte(",action=")
	markData   = []byte(",data=")
)

// ParseBody parses an SDK push body (one commit line per "\n"-separated
// line; CRLF and a missing or present final newline are tolerated, empty
// lines skipped) into sealed commits for repo. Versions come from v: the body
// reserves one version per physical line and line i (0-based) gets first+i,
// so the commits of one body keep their line order in the fold. Lines that do
// not parse are returned as LineErrors and do not stop the rest of the body:
// a partly malformed batch must still ingest its good lines (SDKs resend a
// rejected batch forever).
//
// A nil Versioner leaves every version 0 (useful for validation only).
func ParseBody(repo string, body []byte, v *Versioner) ([]Commit, []LineError) {
	p := ParseBodyLimit(repo, body, v, -1)
	return p.Commits, p.Errors
}

// Parsed is a push body parsed by ParseBodyLimit.
type Parsed struct {
	Commits []Commit
	// Errors details the first lines that did not parse, at most the
	// limit asked for; Failed counts them all.
	Errors []LineError
	Failed int
	// First is the version of the body's first line (0 without a
	// Versioner): line n (1-based) has version First+n-1.
	First int64
}

// LineOf returns the 1-based body line of a commit of this body (0 when
// the body was parsed without versions).
func (p *Parsed) LineOf(c *Commit) int {
	if p.First == 0 {
		return 0
	}
	return int(c.Version-p.First) + 1
}

// ParseBodyLimit is ParseBody for bodies from the network: it details at
// most maxErrors of the lines that do not parse (every one when maxErrors
// is negative) and counts them all. A body of millions of bad lines then
// costs its own size, not a LineError and a copy of the text per line (a
// 16 MiB body of "x" lines took 2.9 GB).
func ParseBodyLimit(repo string, body []byte, v *Versioner, maxErrors int) Parsed {
	var all []Commit
	p, _ := ParseBodyChunks(repo, body, v, maxErrors, 0, func(_ *Parsed, cs []Commit) error {
		all = cs
		return nil
	})
	p.Commits = all
	return p
}

// ParseBodyChunks parses body like ParseBodyLimit and hands its commits to
// fn as it goes, in line order, at most chunk at a time (all in one call
// when chunk <= 0; fn is not called for a body without commits). Each call
// gets its own slice. p is the parse so far: p.LineOf works from the first
// call on, and the commits are never collected in p.Commits. An error from
// fn stops the parse and is returned.
//
// A receiver that consumes each chunk before parsing on holds the commits
// of one chunk, not of the whole body: 64 MiB of one-line commits are 1.8
// million of them.
func ParseBodyChunks(repo string, body []byte, v *Versioner, maxErrors, chunk int, fn func(p *Parsed, commits []Commit) error) (Parsed, error) {
	// A UTF-8 byte order mark (some HTTP tools prepend one) is not part of
	// the first line.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	nLines := bytes.Count(body, []byte{'\n'}) + 1
	var p Parsed
	if v != nil {
		p.First = v.Reserve(nLines)
	}
	// Sized by what is likely, not by the line count: a body of empty or
	// bad lines must not allocate a commit per line up front.
	size := min(nLines, 1024)
	if chunk > 0 {
		size = min(size, chunk)
	}
	buf := make([]Commit, 0, size)
	rest := body
	for i := 0; len(rest) > 0 || i == 0; i++ {
		var line []byte
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			line, rest = rest[:j], rest[j+1:]
		} else {
			line, rest = rest, nil
		}
		line = trimSpace(line)
		if len(line) == 0 {
			if len(rest) == 0 {
				break
			}
			continue
		}
		var version int64
		if v != nil {
			version = p.First + int64(i)
		}
		c, err := ParseLine(repo, line, version)
		if err != nil {
			p.Failed++
			if maxErrors < 0 || len(p.Errors) < maxErrors {
				p.Errors = append(p.Errors, LineError{Line: i + 1, Reason: err.Error(), Text: truncate(line)})
			}
			continue
		}
		buf = append(buf, c)
		if chunk > 0 && len(buf) == chunk {
			if err := fn(&p, buf); err != nil {
				return p, err
			}
			buf = make([]Commit, 0, size)
		}
	}
	if len(buf) > 0 {
		if err := fn(&p, buf); err != nil {
			return p, err
		}
	}
	return p, nil
}

// ParseLine parses one commit line (without its newline) and returns the
// sealed commit with the given repo and version. The receiver also uses it for
// the line a `storage process-large-log` commit points at. Errors wrap
// ErrLine and say what is wrong.
func ParseLine(repo string, line []byte, version int64) (Commit, error) {
	line = trimSpace(line)
	i := bytes.Index(line, markID)
	if i < 0 {
		return Commit{}, fmt.Errorf("%w: missing %q after the entity", ErrLine, markID)
	}
	entity := line[:i]
	if len(entity) == 0 {
		return Commit{}, fmt.Errorf("%w: empty entity", ErrLine)
	}
	for _, b := range entity {
		if (b < 'a' || b > 'z') && b != '_' {
			return Commit{}, fmt.Errorf("%w: entity %q is not [a-z_]+", ErrLine, truncate(entity))
		}
	}
	rest := line[i+len(markID):]
	// The id is everything up to the first ",action=" (the reference's
	// lazy `id=(.*?),action=`): Go's SDK does not validate ids, so we accept
	// any non-empty id that does not contain the marker itself.
	j := bytes.Index(rest, markAction)
	if j < 0 {
		return Commit{}, fmt.Errorf("%w: missing %q", ErrLine, markAction)
	}
	id := string(rest[:j])
	if err := CheckID(id); err != nil {
		return Commit{}, fmt.Errorf("%w: %v", ErrLine, err)
	}
	rest = rest[j+len(markAction):]
	k := 0
	for k < len(rest) && ((rest[k] >= 'a' && rest[k] <= 'z') || rest[k] == '-' || rest[k] == '_') {
		k++
	}
	if k == 0 {
		return Commit{}, fmt.Errorf("%w: empty or invalid action", ErrLine)
	}
	action := rest[:k]
	rest = rest[k:]
	if !bytes.HasPrefix(rest, markData) {
		return Commit{}, fmt.Errorf("%w: missing %q after action %q", ErrLine, markData, action)
	}
	rest = rest[len(markData):]
	if len(rest) == 0 || rest[len(rest)-1] != '}' {
		return Commit{}, fmt.Errorf("%w: line does not end with '}'", ErrLine)
	}
	data := trimSpace(rest[:len(rest)-1])
	if len(data) == 0 {
		return Commit{}, fmt.Errorf("%w: empty data", ErrLine)
	}
	// Every SDK emits UTF-8 (JSON.stringify, json.dumps, json.Marshal);
	// invalid bytes can only come from a broken client, and would poison a
	// whole batch in a backend that stores JSON as text, so the line is
	// rejected on its own here.
	if !utf8.Valid(data) {
		return Commit{}, fmt.Errorf("%w: data is not valid UTF-8", ErrLine)
	}
	data, err := SanitizeJSON(data)
	if err != nil {
		return Commit{}, fmt.Errorf("%w: data: %v", ErrLine, err)
	}
	c := Commit{
		Repo:     repo,
		Entity:   Entity(entity),
		EntityID: id,
		Action:   Action(action),
		Data:     data,
		Version:  version,
	}
	c.Seal()
	return c, nil
}

// SanitizeJSON returns data if it is valid JSON. Otherwise it replaces the
// bare tokens Python's json.dumps emits for non-finite floats (NaN,
// Infinity, -Infinity) outside of strings with null and returns the result if
// that is valid. The input is never modified; valid input is returned as is
// (no copy), so commit ids of ordinary lines hash the bytes the SDK sent.
//
// Validity is jsonscan.Valid, which accepts exactly what json.Valid accepts
// (the tree package fuzzes the two against each other) several times
// faster: every SDK commit line passes here.
func SanitizeJSON(data []byte) (json.RawMessage, error) {
	if jsonscan.Valid(data) {
		return data, nil
	}
	out, changed := replaceNonFinite(data)
	if changed && jsonscan.Valid(out) {
		return out, nil
	}
	// Report the decoder's own message: it names the offset of the problem.
	var v any
	err := json.Unmarshal(out, &v)
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return nil, err
}

// replaceNonFinite rewrites NaN, Infinity and -Infinity tokens that appear
// outside JSON strings to null.
func replaceNonFinite(data []byte) ([]byte, bool) {
	out := make([]byte, 0, len(data))
	inStr, esc, changed := false, false, false
	for i := 0; i < len(data); i++ {
		b := data[i]
		if inStr {
			out = append(out, b)
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				inStr = false
			}
			continue
		}
		switch {
		case b == '"':
			inStr = true
		case bytes.HasPrefix(data[i:], []byte("NaN")) && boundary(data, i+3):
			out = append(out, "null"...)
			i += 2
			changed = true
			continue
		case bytes.HasPrefix(data[i:], []byte("-Infinity")) && boundary(data, i+9):
			out = append(out, "null"...)
			i += 8
			changed = true
			continue
		case bytes.HasPrefix(data[i:], []byte("Infinity")) && boundary(data, i+8):
			out = append(out, "null"...)
			i += 7
			changed = true
			continue
		}
		out = append(out, b)
	}
	return out, changed
}

func boundary(data []byte, i int) bool {
	if i >= len(data) {
		return true
	}
	switch data[i] {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// FormatLine encodes a commit as the SDK line `entity{id=…,action=…,data=…}`
// (no newline). ParseLine(FormatLine(c)) yields c's content again.
func FormatLine(c *Commit) []byte {
	data := c.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	b := make([]byte, 0, len(c.Entity)+len(c.EntityID)+len(c.Action)+len(data)+20)
	b = append(b, c.Entity...)
	b = append(b, markID...)
	b = append(b, c.EntityID...)
	b = append(b, markAction...)
	b = append(b, c.Action...)
	b = append(b, markData...)
	b = append(b, data...)
	b = append(b, '}')
	return b
}

// LargeLogKey returns the blob key of a `storage{action=process-large-log}`
// commit: the SDK uploaded the real commit line there (docs/protocol.md §2.3) and
// the receiver must fetch it and parse it with ParseLine.
func LargeLogKey(c *Commit) (string, bool) {
	if c.Entity != EntityStorage || c.Action != ActionProcessLargeLog {
		return "", false
	}
	var d struct {
		Key string `json:"key"`
	}
	if json.Unmarshal(c.Data, &d) != nil || d.Key == "" {
		return "", false
	}
	return d.Key, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func truncate(b []byte) string {
	if len(b) > MaxErrorText {
		return strings.ToValidUTF8(string(b[:MaxErrorText]), "") + "…"
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
