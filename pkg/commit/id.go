package commit

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxIDLen is the longest entity id, in bytes. The query API refuses longer
// ids, so an id over it could be stored but never read back; ingest refuses
// it instead, with the same bound.
const MaxIDLen = 512

// errEmptyID is returned by CheckID for "".
var errEmptyID = errors.New("empty entity id")

// CheckID reports why id cannot be an entity id (nil when it can). Ids
// become keys and text columns in every backend: 1 to MaxIDLen bytes of
// valid UTF-8 without control characters (no SDK sends anything else; JS
// and Python even limit ids to [A-Za-z0-9_-]). Every ingest path (SDK lines,
// the public API) checks ids with it.
func CheckID(id string) error {
	if id == "" {
		return errEmptyID
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("entity id is %d bytes, over the %d-byte limit", len(id), MaxIDLen)
	}
	if !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("entity id %q has control characters or invalid UTF-8", truncate([]byte(id)))
	}
	return nil
}
