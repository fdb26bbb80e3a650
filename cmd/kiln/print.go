package main

import (
	"context"
	"errors"
)

// Placeholder until the bake package lands: replaced by the bake work.
func listDefinition(ctx context.Context, o *bakeOptions) error {
	return errors.New("--list: not implemented yet")
}

func printDefinition(ctx context.Context, o *bakeOptions) error {
	return errors.New("--print: not implemented yet")
}
