package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/bake/remote"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/progress"
)

// nodeOnce opens the node a command reads on at most once: a remote
// definition is read on it (as buildx reads one on the selected builder),
// and a build on one node then runs on the same node. For a pool it is
// the first node that answers.
type nodeOnce struct {
	node node.Node
	err  error
	done bool
}

func (o *bakeOptions) openNode(ctx context.Context) (node.Node, error) {
	if o.nodes == nil {
		o.nodes = &nodeOnce{}
	}
	n := o.nodes
	if !n.done {
		n.done = true
		n.node, n.err = openReadNode(ctx, o)
	}
	return n.node, n.err
}

// openReadNode opens the one node of the run (bakePool), or else the first
// node of the pool, in its order, that answers: a remote definition is
// read on it as buildx reads one on its builder's first node.
func openReadNode(ctx context.Context, o *bakeOptions) (node.Node, error) {
	p, err := bakePool(o, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return node.Open(ctx, o.builder, node.OpenOptions{})
	}
	const timeout = 10 * time.Second
	var why []string
	for _, pn := range p.Nodes {
		nd, _, err := openPoolNode(ctx, pn, timeout)
		if err == nil {
			return nd, nil
		}
		why = append(why, fmt.Sprintf("%s: %s", pn.Name, firstLine(err.Error())))
	}
	return nil, fmt.Errorf("no node of the pool answers (%s)", strings.Join(why, "; "))
}

func (o *bakeOptions) closeNode() {
	if o.nodes != nil && o.nodes.node != nil {
		o.nodes.node.Close()
		o.nodes.node = nil
	}
}

// remoteDefinition is the remote definition the arguments name, read on
// the run's node (openReadNode) with its progress on bio.stderr; nil without one.
func remoteDefinition(o *bakeOptions, bio bakeIO) (*bake.RemoteDefinition, error) {
	if o.remoteURL == "" {
		return nil, nil
	}
	if o.affectedSince != "" {
		return nil, errors.New("--affected-since compares local files at a Git revision; it does not apply to a remote bake definition")
	}
	environ := bio.env
	if environ == nil {
		environ = os.Environ()
	}
	return &bake.RemoteDefinition{
		URL:        o.remoteURL,
		CmdContext: o.cmdContext,
		Read: func(ctx context.Context, names []string) ([]bake.File, *bake.Input, error) {
			node, err := o.openNode(ctx)
			if err != nil {
				return nil, nil, err
			}
			w := bio.stderr
			if w == nil {
				w = io.Discard
			}
			p, err := progress.New(ctx, w, o.progress, false)
			if err != nil {
				return nil, nil, err
			}
			files, inp, err := remote.Read(ctx, node.Client(), o.remoteURL, names, environ, p.Channel("remote"))
			if _, perr := p.Wait(); err == nil && perr != nil {
				err = perr
			}
			return files, inp, err
		},
	}, nil
}
