package core_test

import (
	"errors"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
)

// A driver classifies a failure once; every layer above tests the kind.
func Example() {
	err := fmt.Errorf("dispatch: %w", core.Errorf(core.NotFound, "server %s not found", "42"))
	fmt.Println(errors.Is(err, core.ErrNotFound), core.KindOf(err), core.KindOf(err).HTTPStatus())
	fmt.Println(core.MessageOf(err))
	// Output:
	// true not_found 404
	// server 42 not found
}
