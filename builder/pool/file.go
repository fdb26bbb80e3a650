package pool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/kiln-build/kiln/hclspec"
)

// DefaultFile is where a pool file is looked for when none is given:
// $KILN_POOL, else ./kiln-pool.hcl, else $XDG_CONFIG_HOME/kiln/pool.hcl
// (~/.config/kiln/pool.hcl). "" when there is none.
func DefaultFile(lookupEnv func(string) (string, bool)) string {
	if p, ok := lookupEnv("KILN_POOL"); ok && p != "" {
		return p
	}
	candidates := []string{"kiln-pool.hcl"}
	if d, ok := lookupEnv("XDG_CONFIG_HOME"); ok && d != "" {
		candidates = append(candidates, filepath.Join(d, "kiln", "pool.hcl"))
	} else if h, ok := lookupEnv("HOME"); ok && h != "" {
		candidates = append(candidates, filepath.Join(h, ".config", "kiln", "pool.hcl"))
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c
		}
	}
	return ""
}

// The pool file's syntax:
//
//	cache-registry = "registry.example:5000/kiln-cache"
//	cache-dir      = "/srv/kiln-cache"     # type=local cache, one directory a unit
//	node "amd64-1" {
//	  address    = "tcp://10.0.0.1:1234"
//	  platforms  = ["linux/amd64"]     # built natively (default: as reported)
//	  max-solves = 4                   # default: no bound
//	  tls {
//	    ca = "ca.pem"                  # relative to the pool file
//	    cert = "client.pem"
//	    key = "client-key.pem"
//	    servername = "buildkit.example"
//	  }
//	}
type fileSpec struct {
	CacheRegistry string     `hcl:"cache-registry,optional"`
	CacheDir      string     `hcl:"cache-dir,optional"`
	Nodes         []nodeSpec `hcl:"node,block"`
	Remain        hcl.Body   `hcl:",remain"`
}

type nodeSpec struct {
	Name      string   `hcl:"name,label"`
	Address   string   `hcl:"address"`
	Platforms []string `hcl:"platforms,optional"`
	MaxSolves int      `hcl:"max-solves,optional"`
	TLS       *tlsSpec `hcl:"tls,block"`
	DeclRange hcl.Range
	Body      hcl.Body `hcl:",remain"`
}

type tlsSpec struct {
	CA         string `hcl:"ca,optional"`
	Cert       string `hcl:"cert,optional"`
	Key        string `hcl:"key,optional"`
	ServerName string `hcl:"servername,optional"`
}

// LoadFile reads a pool file. Errors name file:line:col.
func LoadFile(path string) (*Pool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pool file: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a pool file's text; name is its path (TLS files are relative
// to its directory). It is parsed as bake files are (hclspec.ParseSyntax:
// HCL, or HCL-JSON by its name), and its errors are rendered as theirs
// are: HCL's diagnostics with the source line quoted, a value the pool
// cannot use as file:line:col: node "NAME": what is wrong.
func Parse(name string, data []byte) (*Pool, error) {
	diagsErr := func(d hcl.Diagnostics) error {
		return &hclspec.DiagnosticsError{Diags: d, Files: []hclspec.File{{Name: name, Data: data}}}
	}
	hf, diags := hclspec.ParseSyntax(name, data)
	if diags.HasErrors() {
		return nil, diagsErr(diags)
	}
	f := hf.Parsed
	var spec fileSpec
	if diags := gohcl.DecodeBody(f.Body, nil, &spec); diags.HasErrors() {
		return nil, diagsErr(diags)
	}
	if diags := checkEmpty(spec.Remain); diags.HasErrors() {
		return nil, diagsErr(diags)
	}
	content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "node", LabelNames: []string{"name"}}}})
	p := &Pool{CacheRegistry: spec.CacheRegistry, CacheDir: spec.CacheDir}
	seen := map[string]hcl.Range{}
	dir := filepath.Dir(name)
	if p.CacheDir != "" && !filepath.IsAbs(p.CacheDir) {
		p.CacheDir = filepath.Join(dir, p.CacheDir)
	}
	for i, ns := range spec.Nodes {
		blk := content.Blocks[i]
		rng := blk.DefRange
		at := func(r hcl.Range, format string, args ...any) error {
			return errors.New(hclspec.Located(r, fmt.Sprintf("node %q: ", ns.Name)+fmt.Sprintf(format, args...)))
		}
		if prev, dup := seen[ns.Name]; dup {
			return nil, at(blk.LabelRanges[0], "already declared at %s:%d:%d", prev.Filename, prev.Start.Line, prev.Start.Column)
		}
		seen[ns.Name] = rng
		attrs, _ := blk.Body.JustAttributes()
		attrRange := func(n string) hcl.Range {
			if a, ok := attrs[n]; ok {
				return a.Expr.Range()
			}
			return rng
		}
		if err := checkAddress(ns.Address); err != nil {
			return nil, at(attrRange("address"), "%v", err)
		}
		for _, pl := range ns.Platforms {
			if _, err := platforms.Parse(pl); err != nil {
				return nil, at(attrRange("platforms"), "%v", err)
			}
		}
		if ns.MaxSolves < 0 {
			return nil, at(attrRange("max-solves"), "max-solves must be 0 (no bound) or more")
		}
		n := Node{Name: ns.Name, Address: ns.Address, Platforms: ns.Platforms, MaxSolves: ns.MaxSolves, DeclRange: &rng}
		if ns.TLS != nil {
			rel := func(p string) string {
				if p == "" || filepath.IsAbs(p) {
					return p
				}
				return filepath.Join(dir, p)
			}
			n.TLS = TLS{CA: rel(ns.TLS.CA), Cert: rel(ns.TLS.Cert), Key: rel(ns.TLS.Key), ServerName: ns.TLS.ServerName}
			if (n.TLS.Cert == "") != (n.TLS.Key == "") {
				return nil, at(rng, "tls: cert and key go together")
			}
		}
		p.Nodes = append(p.Nodes, n)
	}
	if len(p.Nodes) == 0 {
		return nil, errors.New(hclspec.Located(f.Body.MissingItemRange(), "no node: a pool file declares at least one node block"))
	}
	return p, nil
}

// checkEmpty rejects attributes and blocks the pool file does not know.
func checkEmpty(b hcl.Body) hcl.Diagnostics {
	if b == nil {
		return nil
	}
	_, diags := b.Content(&hcl.BodySchema{})
	return diags
}

// schemes are the node addresses node.Open understands.
var schemes = []string{"unix://", "tcp://", "docker-container://", "kube-pod://", "ssh://", "podman-container://", "nerdctl-container://"}

func checkAddress(a string) error {
	if a == "embedded" || a == "docker" {
		return nil
	}
	for _, s := range schemes {
		if rest, ok := strings.CutPrefix(a, s); ok {
			if rest == "" {
				return fmt.Errorf("address %q names no host or path", a)
			}
			return nil
		}
	}
	return fmt.Errorf("address %q: want embedded, docker, or one of %s", a, strings.Join(schemes, ", "))
}
