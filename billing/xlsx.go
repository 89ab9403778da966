package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/gisiaas/gisiaas/core"
)

// Price lists as spreadsheets (BL.6 import and export). Prices are written
// as numeric cells holding exactly the stored decimal text, and read back as
// the cell's raw text, so a round trip is decimal-exact: no float is ever
// involved.

// The sheets and columns of a price-list spreadsheet.
const (
	xlsxPricesSheet = "prices"
	xlsxListSheet   = "list"
	xlsxColItem     = "item"
	xlsxColPrice    = "unit_price_per_hour"
	xlsxColDesc     = "description"
)

// Import limits: an upload is untrusted, and an .xlsx is a zip.
const (
	xlsxMaxBytes     = 8 << 20
	xlsxMaxUnzipped  = 64 << 20
	xlsxMaxRows      = 10000
	xlsxMaxRowErrors = 20
)

// ItemDescription says in words what an item's unit price is for.
func ItemDescription(item string) string {
	switch item {
	case ItemServerVCPU:
		return "server, per vCPU per hour (when its flavor has no price)"
	case ItemServerMemoryGB:
		return "server, per GB of memory per hour (when its flavor has no price)"
	case ItemImageGB:
		return "image, per GB per hour"
	case ItemServerSnapshotGB:
		return "server snapshot, per GB per hour"
	case ItemVolumeSnapshotGB:
		return "volume snapshot, per GB per hour"
	case ItemBackupFullGB:
		return "full volume backup, per GB per hour"
	case ItemBackupIncrementGB:
		return "incremental volume backup, per GB per hour"
	case ItemPublicIP:
		return "public IP, per hour"
	case ItemRouter:
		return "router, per hour"
	}
	if f, ok := strings.CutPrefix(item, ItemServerFlavorPrefix); ok {
		return fmt.Sprintf("server of flavor %s, per hour", f)
	}
	if t, ok := strings.CutPrefix(item, ItemVolumeGBPrefix); ok {
		return fmt.Sprintf("volume of type %s, per GB per hour", t)
	}
	return ""
}

// ExportPriceList writes template's price list number to w as an .xlsx:
// sheet "prices" (item, unit_price_per_hour, description; every fixed item
// is listed, an empty price meaning none) and sheet "list" (the template,
// the number, the state, the effective time and the currency).
func (s *Service) ExportPriceList(ctx context.Context, templateID string, number int, w io.Writer) error {
	var (
		tpl      tplRow
		list     PriceList
		currency string
	)
	// One transaction: the list and its prices as of one instant.
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if tpl, err = s.tplGet(ctx, tx, templateID, "template"); err != nil {
			return err
		}
		if list, err = s.plGet(ctx, tx, templateID, number, s.now(), true); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &currency, `SELECT currency FROM billing_settings WHERE id = 1`); err != nil {
			return dbErr("ExportPriceList", err)
		}
		return nil
	})
	if err != nil {
		return err
	}

	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), xlsxPricesSheet); err != nil {
		return core.Wrap(core.Internal, "ExportPriceList", err)
	}
	if _, err := f.NewSheet(xlsxListSheet); err != nil {
		return core.Wrap(core.Internal, "ExportPriceList", err)
	}
	set := func(sheet string, col, row int, v string, numeric bool) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if numeric {
			return f.SetCellDefault(sheet, cell, v) // the decimal text as a number, exactly
		}
		return f.SetCellStr(sheet, cell, v)
	}
	rows := xlsxRows(list.Prices)
	err = func() error {
		for c, h := range []string{xlsxColItem, xlsxColPrice, xlsxColDesc} {
			if err := set(xlsxPricesSheet, c+1, 1, h, false); err != nil {
				return err
			}
		}
		for i, p := range rows {
			r := i + 2
			if err := set(xlsxPricesSheet, 1, r, p.Item, false); err != nil {
				return err
			}
			if p.UnitPrice != "" {
				if err := set(xlsxPricesSheet, 2, r, p.UnitPrice, true); err != nil {
					return err
				}
			}
			if err := set(xlsxPricesSheet, 3, r, ItemDescription(p.Item), false); err != nil {
				return err
			}
		}
		eff := ""
		if list.EffectiveAt != nil {
			eff = list.EffectiveAt.UTC().Format(time.RFC3339)
		}
		header := []string{"template", "template_id", "number", "description", "state", "effective_at", "currency"}
		values := []string{tpl.Name, tpl.ID, strconv.Itoa(list.Number), list.Description, string(list.State), eff, currency}
		for c := range header {
			if err := set(xlsxListSheet, c+1, 1, header[c], false); err != nil {
				return err
			}
			if err := set(xlsxListSheet, c+1, 2, values[c], c == 2); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(xlsxPricesSheet, "A", "A", 32); err != nil {
			return err
		}
		if err := f.SetColWidth(xlsxPricesSheet, "B", "B", 20); err != nil {
			return err
		}
		return f.SetColWidth(xlsxPricesSheet, "C", "C", 60)
	}()
	if err != nil {
		return core.Wrap(core.Internal, "ExportPriceList", err)
	}
	if err := f.Write(w); err != nil {
		return core.Wrap(core.Unavailable, "ExportPriceList", err)
	}
	return nil
}

// xlsxRows is what the prices sheet lists: the fixed items in their order
// (empty when unpriced, for an operator to fill in), then the priced
// flavors and volume types by key.
func xlsxRows(prices []Price) []Price {
	byItem := make(map[string]string, len(prices))
	for _, p := range prices {
		byItem[p.Item] = p.UnitPrice
	}
	out := make([]Price, 0, len(prices)+len(FixedItems))
	for _, item := range FixedItems {
		out = append(out, Price{Item: item, UnitPrice: byItem[item]})
		delete(byItem, item)
	}
	rest := make([]string, 0, len(byItem))
	for item := range byItem {
		rest = append(rest, item)
	}
	sort.Strings(rest)
	for _, item := range rest {
		out = append(out, Price{Item: item, UnitPrice: byItem[item]})
	}
	return out
}

// ImportPriceList creates a not-activated price list of template, with the
// next number, from a spreadsheet as ExportPriceList writes it (only the
// "prices" sheet is read; a row without a price is skipped). Every bad row
// is reported by its number, and nothing is created unless all are good.
func (s *Service) ImportPriceList(ctx context.Context, templateID string, r io.Reader, description string) (PriceList, error) {
	desc, err := plCheckDescription(description)
	if err != nil {
		return PriceList{}, err
	}
	prices, err := xlsxReadPrices(r)
	if err != nil {
		return PriceList{}, err
	}
	var out PriceList
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.tplLock(ctx, tx, templateID, "template"); err != nil {
			return err
		}
		now := s.now()
		n, err := s.plNextNumber(ctx, tx, templateID)
		if err != nil {
			return err
		}
		if desc == "" {
			desc = "price list " + strconv.Itoa(n) + " (imported)"
		}
		id, err := s.plInsert(ctx, tx, templateID, n, desc, nil, "", now)
		if err != nil {
			return err
		}
		for _, p := range prices {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) VALUES (?, ?, ?)`), id, p.Item, p.UnitPrice); err != nil {
				return dbErr("ImportPriceList", err)
			}
		}
		out, err = s.plGet(ctx, tx, templateID, n, now, true)
		return err
	})
	return out, err
}

// xlsxReadPrices reads and validates the prices sheet of an .xlsx.
func xlsxReadPrices(r io.Reader) ([]Price, error) {
	data, err := io.ReadAll(io.LimitReader(r, xlsxMaxBytes+1))
	if err != nil {
		return nil, core.Wrap(core.Unavailable, "ImportPriceList", err)
	}
	if len(data) > xlsxMaxBytes {
		return nil, core.Errorf(core.InvalidArgument, "file: larger than %d MiB", xlsxMaxBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: xlsxMaxUnzipped, UnzipXMLSizeLimit: xlsxMaxUnzipped})
	if err != nil {
		return nil, core.Errorf(core.InvalidArgument, "file: not an .xlsx spreadsheet (%v)", err)
	}
	defer f.Close()
	rows, err := f.Rows(xlsxPricesSheet)
	if err != nil {
		var missing excelize.ErrSheetNotExist
		if errors.As(err, &missing) {
			return nil, core.Errorf(core.InvalidArgument, "file: no sheet %q", xlsxPricesSheet)
		}
		return nil, core.Errorf(core.InvalidArgument, "file: sheet %q: %v", xlsxPricesSheet, err)
	}
	defer rows.Close()

	var (
		out     []Price
		bad     []string
		nbad    int
		firstOn = map[string]int{}
	)
	fail := func(row int, format string, args ...any) {
		nbad++
		if len(bad) < xlsxMaxRowErrors {
			bad = append(bad, fmt.Sprintf("row %d: ", row)+fmt.Sprintf(format, args...))
		}
	}
	row := 0
	for rows.Next() {
		row++ // Rows yields every row up to the last, empty ones included
		if row > xlsxMaxRows+1 {
			return nil, core.Errorf(core.InvalidArgument, "file: more than %d rows", xlsxMaxRows)
		}
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, core.Errorf(core.InvalidArgument, "file: row %d: %v", row, err)
		}
		cell := func(i int) string {
			if i < len(cols) {
				return strings.TrimSpace(cols[i])
			}
			return ""
		}
		if row == 1 {
			if !strings.EqualFold(cell(0), xlsxColItem) || !strings.EqualFold(cell(1), xlsxColPrice) {
				return nil, core.Errorf(core.InvalidArgument, "file: row 1: the header must be %s, %s, %s", xlsxColItem, xlsxColPrice, xlsxColDesc)
			}
			continue
		}
		item, price := cell(0), cell(1)
		switch {
		case item == "" && price == "":
			continue // a blank row
		case item == "":
			fail(row, "item: missing")
			continue
		case !ValidItem(item):
			fail(row, "unknown item %q", item)
			continue
		}
		if first, dup := firstOn[item]; dup {
			fail(row, "duplicate item %q (also on row %d)", item, first)
			continue
		}
		firstOn[item] = row
		if price == "" {
			continue // listed without a price: none
		}
		canon, err := plCheckPrice(item, price)
		if err != nil {
			fail(row, "%s: %s", xlsxColPrice, strings.TrimPrefix(core.MessageOf(err), "unit_price: "))
			continue
		}
		out = append(out, Price{Item: item, UnitPrice: canon})
	}
	if err := rows.Error(); err != nil {
		return nil, core.Errorf(core.InvalidArgument, "file: sheet %q: %v", xlsxPricesSheet, err)
	}
	if row == 0 {
		return nil, core.Errorf(core.InvalidArgument, "file: sheet %q is empty", xlsxPricesSheet)
	}
	if nbad > 0 {
		msg := strings.Join(bad, "; ")
		if nbad > len(bad) {
			msg += fmt.Sprintf("; and %d more bad rows", nbad-len(bad))
		}
		return nil, core.Errorf(core.InvalidArgument, "file: %s", msg)
	}
	return out, nil
}
