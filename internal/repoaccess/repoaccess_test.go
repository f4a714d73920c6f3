package repoaccess

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/client"
)

// attrs is a client.AuthData with fixed attributes.
type attrs map[string]any

func (a attrs) GetAttribute(name string) any { return a[name] }
func (a attrs) GetAttributeNames() []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	return names
}

func TestFromAuth(t *testing.T) {
	for _, tc := range []struct {
		name        string
		auth        client.AuthData
		wantPresent bool
		wantErr     bool
		wantRepos   []string
		wantAll     bool
	}{
		{name: "no auth data", auth: nil},
		{name: "authenticator without the attribute", auth: attrs{"other": "x"}},
		{name: "string slice", auth: attrs{Attribute: []string{"a", "b"}}, wantPresent: true, wantRepos: []string{"a", "b"}},
		{name: "wildcard", auth: attrs{Attribute: []string{"*"}}, wantPresent: true, wantRepos: []string{"*"}, wantAll: true},
		{name: "wildcard among others", auth: attrs{Attribute: []string{"a", "*"}}, wantPresent: true, wantRepos: []string{"a", "*"}, wantAll: true},
		{name: "comma-separated string", auth: attrs{Attribute: "a,b"}, wantPresent: true, wantRepos: []string{"a", "b"}},
		{name: "empty string grants nothing", auth: attrs{Attribute: ""}, wantPresent: true, wantRepos: []string{}},
		{name: "any slice keeps the strings", auth: attrs{Attribute: []any{"a", 7, "b"}}, wantPresent: true, wantRepos: []string{"a", "b"}},
		{name: "empty slice", auth: attrs{Attribute: []string{}}, wantPresent: true, wantRepos: []string{}},
		{name: "unexpected type fails closed", auth: attrs{Attribute: 42}, wantPresent: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, present, err := FromAuth(tc.auth)
			if present != tc.wantPresent {
				t.Fatalf("present = %v, want %v", present, tc.wantPresent)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if g.Allows("a") || g.All() {
					t.Fatalf("a grant read with an error must allow nothing: %+v", g)
				}
				return
			}
			if got := g.Repos(); !slices.Equal(got, tc.wantRepos) {
				t.Fatalf("Repos() = %q, want %q", got, tc.wantRepos)
			}
			if g.All() != tc.wantAll {
				t.Fatalf("All() = %v, want %v", g.All(), tc.wantAll)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grant Grant
		repo  string
		want  bool
	}{
		{"listed", Of("a", "b"), "b", true},
		{"not listed", Of("a", "b"), "c", false},
		{"prefix is not a match", Of("repo"), "repo-2", false},
		{"wildcard allows any", Of("*"), "anything", true},
		{"empty repo never allowed", Of("a"), "", false},
		{"empty repo not even with the wildcard", Of("*"), "", false},
		{"zero grant allows nothing", Grant{}, "a", false},
		{"case matters", Of("Repo"), "repo", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.grant.Allows(tc.repo); got != tc.want {
				t.Fatalf("%+v.Allows(%q) = %v, want %v", tc.grant, tc.repo, got, tc.want)
			}
		})
	}
}

func TestOnly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		grant  Grant
		want   string
		wantOK bool
	}{
		{"one repository", Of("a"), "a", true},
		{"two repositories", Of("a", "b"), "", false},
		{"wildcard is not a repository", Of("*"), "", false},
		{"empty names dropped", Of("", "a", ""), "a", true},
		{"nothing", Of(), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.grant.Only()
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("Only() = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestFromContext(t *testing.T) {
	ctx := client.NewContext(context.Background(), client.Info{Auth: attrs{Attribute: []string{"a"}}})
	g, present, err := FromContext(ctx)
	if err != nil || !present || !g.Allows("a") || g.Allows("b") {
		t.Fatalf("FromContext = %+v, %v, %v", g, present, err)
	}
	if _, present, _ := FromContext(context.Background()); present {
		t.Fatal("a context without client.Info must carry no grant")
	}
}

// TestReposIsACopy: callers may not widen a grant by editing what it returned.
func TestReposIsACopy(t *testing.T) {
	g := Of("a")
	r := g.Repos()
	r[0] = "b"
	if g.Allows("b") || !g.Allows("a") {
		t.Fatalf("grant changed through Repos(): %+v", g)
	}
}
