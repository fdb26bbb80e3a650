package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/bake"
	"github.com/spf13/pflag"
)

// Shell completion: the scripts ask `kiln __complete WORDS...` for the
// candidates of the last word, so flags and target names come from the same
// code that parses them.

const bashCompletion = `# kiln bash completion: source <(kiln completion bash)
_kiln() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local out
  out=$(kiln __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  if [ "$out" = ":files" ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
}
complete -o default -F _kiln kiln
`

const zshCompletion = `#compdef kiln
# kiln zsh completion: source <(kiln completion zsh)
_kiln() {
  local -a out
  out=("${(@f)$(kiln __complete "${words[@]:1:$((CURRENT-1))}" 2>/dev/null)}")
  if [[ "${out[1]}" == ":files" ]]; then
    _files
    return
  fi
  compadd -- "${out[@]}"
}
compdef _kiln kiln
`

const fishCompletion = `# kiln fish completion: kiln completion fish | source
function __kiln_complete
  set -l words (commandline -opc) (commandline -ct)
  set -e words[1]
  set -l out (kiln __complete $words 2>/dev/null)
  if test "$out" = ":files"
    __fish_complete_path (commandline -ct)
  else
    printf '%s\n' $out
  end
end
complete -c kiln -f -a '(__kiln_complete)'
`

// newCompletionCommand is `kiln completion`.
func newCompletionCommand() *command {
	c := &command{name: "completion", usage: "completion bash|zsh|fish", short: "Print a shell completion script"}
	c.run = func(ctx context.Context, args []string) error {
		fs := newFlags(c)
		if err := fs.Parse(args); err != nil {
			return err
		}
		scripts := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}
		if fs.NArg() != 1 || scripts[fs.Arg(0)] == "" {
			return fmt.Errorf("usage: kiln %s", c.usage)
		}
		_, err := io.WriteString(os.Stdout, scripts[fs.Arg(0)])
		return err
	}
	return c
}

// newCompleteCommand is `kiln __complete WORDS...`, what the completion
// scripts call; it is not listed in --help.
func newCompleteCommand() *command {
	return &command{name: "__complete", run: func(ctx context.Context, args []string) error {
		for _, w := range complete(ctx, args) {
			fmt.Println(w)
		}
		return nil
	}}
}

// complete returns the candidates for the last of words (the words after "kiln").
func complete(ctx context.Context, words []string) []string {
	if len(words) <= 1 {
		var names []string
		for _, c := range listedCommands() {
			names = append(names, c.name)
		}
		return names
	}
	if words[0] != "bake" {
		return nil
	}
	var o bakeOptions
	fs := pflag.NewFlagSet("bake", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defineBakeFlags(fs, &o)
	cur, prev := words[len(words)-1], words[len(words)-2]
	if strings.HasPrefix(prev, "-") && !strings.Contains(prev, "=") {
		if v := flagValues(fs, prev); v != nil {
			return v
		}
	}
	if strings.HasPrefix(cur, "-") {
		var names []string
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, "--"+f.Name)
			}
		})
		return names
	}
	// Targets and groups of the files named so far (or the default files).
	_ = fs.Parse(words[1 : len(words)-1])
	cfg, _, err := bake.LoadConfig(ctx, bake.LoadOptions{Files: o.files, Stdin: strings.NewReader("")})
	if err != nil {
		return nil
	}
	var names []string
	for _, g := range cfg.Groups {
		names = append(names, g.Name)
	}
	for _, t := range cfg.Targets {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// flagValues returns the candidates for the value of flag name, or nil when
// the flag takes no value; ":files" asks the shell for file names.
func flagValues(fs *pflag.FlagSet, name string) []string {
	var f *pflag.Flag
	if strings.HasPrefix(name, "--") {
		f = fs.Lookup(name[2:])
	} else if len(name) == 2 {
		f = fs.ShorthandLookup(name[1:])
	}
	if f == nil || f.NoOptDefVal != "" {
		return nil
	}
	switch f.Name {
	case "file", "metadata-file":
		return []string{":files"}
	case "progress":
		return []string{"auto", "tty", "plain", "quiet", "rawjson", "none"}
	case "call":
		return []string{"build", "check", "outline", "targets"}
	case "list":
		return []string{"targets", "variables", "type=targets,format=json", "type=variables,format=json"}
	case "builder":
		return []string{"embedded", "docker", "unix://", "tcp://", "docker-container://", "kube-pod://", "ssh://"}
	case "jobs":
		return []string{"fail-fast", "defer-output", "defer-error"}
	}
	return []string{}
}
