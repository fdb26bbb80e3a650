package main

import (
	"context"
	"errors"
)

// Placeholder until the builder lands: replaced by the builder work.
func buildDefinition(ctx context.Context, o *bakeOptions) error {
	return errors.New("building: not implemented yet")
}
