// Package repoaccess owns the one rule for "which log repositories may this
// caller use". maxim_auth writes the grant into client.Info.Auth; the mxin
// receiver (writes), the normalizer (picking a span's repository) and the
// query API (reads) read it back through here, so the rule cannot drift
// between ingest and query.
//
// A key's repositories are both readable and writable: Maxim's API keys do
// not separate the two, so neither do we. Allows is the whole rule.
package repoaccess

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/client"
)

const (
	// Attribute is the client.Info.Auth attribute holding the repositories
	// the caller may use, as []string. Other authenticators may set it too
	// (as a comma-separated string or []any of strings, the shapes an
	// attribute takes when it comes from configuration or JSON).
	Attribute = "maxim.repos"
	// All is the wildcard repository: every repository, present or future.
	All = "*"
)

// Grant is the set of repositories one authenticated caller may use. The
// zero Grant allows nothing.
type Grant struct {
	repos []string
	all   bool
}

// Of returns the grant of these repositories ("*" = all). Empty names are
// dropped: they come from splitting an empty or trailing-comma list, and
// must not become a repository a request could resolve to.
func Of(repos ...string) Grant {
	g := Grant{repos: make([]string, 0, len(repos))}
	for _, r := range repos {
		if r == "" {
			continue
		}
		g.repos = append(g.repos, r)
		g.all = g.all || r == All
	}
	return g
}

// FromAuth reads the grant an authenticator left in auth. present is false
// when auth is nil or has no Attribute: the request was not authenticated
// by a repository-aware authenticator, and what that means (allow all on an
// open server, refuse on a guarded one) is the caller's policy. An
// attribute of any other type is an error, so a misconfigured authenticator
// fails closed instead of granting everything.
func FromAuth(auth client.AuthData) (g Grant, present bool, err error) {
	if auth == nil {
		return Grant{}, false, nil
	}
	switch v := auth.GetAttribute(Attribute).(type) {
	case nil:
		return Grant{}, false, nil
	case []string:
		return Of(v...), true, nil
	case string:
		return Of(strings.Split(v, ",")...), true, nil
	case []any:
		repos := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				repos = append(repos, s)
			}
		}
		return Of(repos...), true, nil
	default:
		return Grant{}, true, fmt.Errorf("auth attribute %s has unexpected type %T", Attribute, v)
	}
}

// FromContext is FromAuth of the client.Info in ctx.
func FromContext(ctx context.Context) (Grant, bool, error) {
	return FromAuth(client.FromContext(ctx).Auth)
}

// Allows reports whether the grant covers repo. The empty repository is
// never allowed: a request that names no repository must resolve one first.
func (g Grant) Allows(repo string) bool {
	return repo != "" && (g.all || slices.Contains(g.repos, repo))
}

// All reports whether the grant holds the wildcard.
func (g Grant) All() bool { return g.all }

// Empty reports whether the grant names no repository at all.
func (g Grant) Empty() bool { return len(g.repos) == 0 }

// Repos returns the repositories as granted, in order (a copy; it may hold
// "*").
func (g Grant) Repos() []string { return slices.Clone(g.repos) }

// Only returns the grant's single repository when it names exactly one and
// it is not the wildcard: the repository a request that names none means.
func (g Grant) Only() (string, bool) {
	if len(g.repos) == 1 && !g.all {
		return g.repos[0], true
	}
	return "", false
}
