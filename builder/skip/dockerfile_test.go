package skip

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDockerfile(t *testing.T) {
	cases := []struct {
		name       string
		df         string
		args       map[string]string
		plats      []string
		contexts   []string
		syntax     string
		images     []string
		unverified string
	}{
		{name: "plain", df: "FROM alpine:3.20\nRUN true\n", images: []string{"alpine:3.20"}},
		{name: "scratch", df: "FROM scratch\nCOPY a /\n"},
		{name: "meta arg default", df: "ARG V=3.19\nFROM alpine:${V}\n", images: []string{"alpine:3.19"}},
		{name: "meta arg from build arg", df: "ARG V=3.19\nFROM alpine:$V\n", args: map[string]string{"V": "3.21"}, images: []string{"alpine:3.21"}},
		{name: "build arg not declared is not used", df: "FROM alpine:$V\n", args: map[string]string{"V": "3.21"}, images: []string{"alpine:"}},
		{name: "arg from arg", df: "ARG REG=r.example\nARG IMG=$REG/app\nFROM ${IMG}:1\n", images: []string{"r.example/app:1"}},
		{name: "stages", df: "FROM golang:1 AS build\nRUN go build\nFROM build AS test\nFROM alpine\nCOPY --from=build /x /\nCOPY --from=0 /y /\nCOPY --from=busybox:1 /bin/sh /\n",
			images: []string{"alpine", "busybox:1", "golang:1"}},
		{name: "stage names case-insensitive", df: "FROM alpine AS Base\nFROM base\n", images: []string{"alpine"}},
		{name: "named context replaces", df: "FROM base\nCOPY --from=tools / /\n", contexts: []string{"base", "tools"}},
		{name: "run mount from", df: "FROM alpine\nRUN --mount=from=busybox:1,target=/b true\n", images: []string{"alpine", "busybox:1"}},
		{name: "platforms", df: "ARG TARGETARCH\nFROM img-$TARGETARCH\n", plats: []string{"linux/amd64", "linux/arm64"}, images: []string{"img-amd64", "img-arm64"}},
		{name: "syntax", df: "# syntax=docker/dockerfile:1.7\nFROM scratch\n", syntax: "docker/dockerfile:1.7"},
		{name: "BUILDKIT_SYNTAX", df: "FROM scratch\n", args: map[string]string{"BUILDKIT_SYNTAX": "example/frontend:2"}, syntax: "example/frontend:2"},
		{name: "add url", df: "FROM scratch\nADD https://example.com/x.tgz /\n", unverified: "ADD https://example.com/x.tgz"},
		{name: "add git", df: "FROM scratch\nADD git@github.com:a/b.git /\n", unverified: "ADD git@github.com"},
		{name: "add url with checksum", df: "FROM scratch\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 https://example.com/x /\n"},
		{name: "add local", df: "FROM scratch\nADD x.tgz /\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctxs := map[string]bool{}
			for _, n := range c.contexts {
				ctxs[n] = true
			}
			plats := c.plats
			if plats == nil {
				plats = []string{"linux/amd64"}
			}
			got, err := ParseDockerfile([]byte(c.df), c.args, plats, ctxs)
			if err != nil {
				t.Fatal(err)
			}
			if c.unverified != "" {
				if !strings.Contains(got.Unverifiable, c.unverified) {
					t.Errorf("Unverifiable = %q, want it to mention %q", got.Unverifiable, c.unverified)
				}
				return
			}
			if got.Unverifiable != "" {
				t.Errorf("Unverifiable = %q", got.Unverifiable)
			}
			if got.Syntax != c.syntax {
				t.Errorf("Syntax = %q, want %q", got.Syntax, c.syntax)
			}
			if !slices.Equal(got.Images, c.images) {
				t.Errorf("Images = %q, want %q", got.Images, c.images)
			}
		})
	}
	if _, err := ParseDockerfile([]byte("FROM\n"), nil, nil, nil); err == nil {
		t.Error("a FROM without an image parsed")
	}
}
