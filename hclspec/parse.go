// Package hclspec evaluates bake files written in HCL or HCL-JSON: variables,
// globals, user functions, the stdlib, `target.X.Y` references and matrices,
// into the caller's block structs. It knows nothing of Docker or BuildKit.
package hclspec

import (
	"github.com/hashicorp/hcl/v2"
)

// File is one bake file as read from disk (or stdin). Name decides the syntax:
// a name ending in .json is HCL-JSON; anything else is tried as HCL native syntax.
type File struct {
	Name string
	Data []byte
}

// Options are the inputs to evaluation besides the files.
type Options struct {
	// Defaults are reserved variables the caller predefines (buildx sets
	// BAKE_CMD_CONTEXT and BAKE_LOCAL_PLATFORM); a file may not redeclare them.
	Defaults map[string]string
	// Vars are `--var name=value` values; they take precedence over the environment.
	Vars map[string]string
	// LookupEnv reads the environment for variable values; nil reads none.
	LookupEnv func(string) (string, bool)
	// ValidateLabel checks a block's (evaluated) name.
	ValidateLabel func(string) error
}

// Variable is one declared variable as `--list variables` shows it.
type Variable struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Type        string  `json:"type,omitempty"`
	Value       *string `json:"value,omitempty"`
}

// Meta is what evaluation learned besides the decoded blocks.
type Meta struct {
	// Renamed maps block type → original name → names a matrix expanded it into.
	Renamed map[string]map[string][]string
	// Variables are all declared variables, in declaration order.
	Variables []*Variable
}

// Parse evaluates files into val, a pointer to a struct whose fields tagged
// `hcl:"TYPE,block"` are slices of pointers to block structs (see bake.Config).
// Diagnostics carry the source ranges of the user's text.
func Parse(files []File, opts Options, val any) (*Meta, hcl.Diagnostics) {
	panic("hclspec.Parse: being written")
}
