package billing

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/gisiaas/gisiaas/core"
)

// xlsxFile builds a spreadsheet with sheet "prices" holding rows; a cell
// that parses as a number is written as a number, as a spreadsheet
// program would.
func xlsxFile(t *testing.T, rows [][]string) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "prices"); err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellDefault("prices", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestPriceListExportImportRoundTrip(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		want := map[string]string{
			ItemServerVCPU:                     "12.50",
			ItemServerFlavorPrefix + "m1.tiny": "0.123456789012345678901234567",
			ItemVolumeGBPrefix + "ssd":         "0.0001",
			ItemPublicIP:                       "0",
			ItemRouter:                         "100000000000000000000.01",
		}
		for k, v := range want {
			pricingSet(t, s, def, 1, k, v)
		}
		eff := clock.Now().Add(time.Hour)
		pricingOK(s.UpdatePriceList(ctx, def, 1, PriceListUpdate{EffectiveAt: &eff}))(t)
		pricingOK(s.Activate(ctx, def, 1))(t)
		if _, err := db.Exec(`UPDATE billing_settings SET currency = 'JPY'`); err != nil {
			t.Fatal(err)
		}

		var buf bytes.Buffer
		if err := s.ExportPriceList(ctx, def, 1, &buf); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.GetSheetList(); len(got) != 2 || got[0] != "prices" || got[1] != "list" {
			t.Fatalf("sheets %v", got)
		}
		prices, _ := f.GetRows("prices", excelize.Options{RawCellValue: true})
		if strings.Join(prices[0], ",") != "item,unit_price_per_hour,description" {
			t.Fatalf("header %v", prices[0])
		}
		found := false
		for _, r := range prices[1:] {
			if r[0] == ItemVolumeGBPrefix+"ssd" {
				found = r[1] == "0.0001" && strings.Contains(r[2], "ssd")
			}
		}
		if !found {
			t.Fatalf("no volume.gb.ssd row in %v", prices)
		}
		list, _ := f.GetRows("list")
		if len(list) != 2 || strings.Join(list[0], ",") != "template,template_id,number,description,state,effective_at,currency" ||
			list[1][0] != "Default" || list[1][2] != "1" || list[1][4] != "waiting" || list[1][5] != eff.Format(time.RFC3339) || list[1][6] != "JPY" {
			t.Fatalf("list sheet %v", list)
		}
		f.Close()

		// Import: a new not-activated list with exactly the same prices.
		l := pricingOK(s.ImportPriceList(ctx, def, bytes.NewReader(buf.Bytes()), ""))(t)
		if l.Number != 2 || l.State != ListNotActivated || l.EffectiveAt != nil || !strings.Contains(l.Description, "imported") {
			t.Fatalf("imported %+v", l)
		}
		pricingEqual(t, pricingPrices(t, s, def, 2), want)

		// Into another template too; the description is kept.
		gold := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Gold"}))(t).ID
		l = pricingOK(s.ImportPriceList(ctx, gold, bytes.NewReader(buf.Bytes()), "from Default"))(t)
		if l.Number != 2 || l.Description != "from Default" {
			t.Fatalf("imported %+v", l)
		}
		pricingEqual(t, pricingPrices(t, s, gold, 2), want)

		pricingKind(t, s.ExportPriceList(ctx, def, 9, &bytes.Buffer{}), core.NotFound, "number")
		pricingKind(t, s.ExportPriceList(ctx, "nope", 1, &bytes.Buffer{}), core.NotFound, "template")
		_, err = s.ImportPriceList(ctx, "nope", bytes.NewReader(buf.Bytes()), "")
		pricingKind(t, err, core.NotFound, "template")
	})
}

func TestPriceListImportNamesBadRows(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		imp := func(b *bytes.Buffer) error {
			_, err := s.ImportPriceList(ctx, def, b, "")
			return err
		}

		err := imp(xlsxFile(t, [][]string{
			{"item", "unit_price_per_hour", "description"},
			{"server.vcpu", "0.5"},
			{"server.gpu", "1"},              // row 3
			{"router", "cheap"},              // row 4
			{"server.vcpu", "0.6"},           // row 5
			{},                               // row 6: blank, fine
			{"public_ip", "-1"},              // row 7
			{"", "2"},                        // row 8
			{"image.gb", ""},                 // row 9: no price, fine
			{"volume.gb.ssd", "0.01", "ssd"}, // row 10: fine
		}))
		pricingKind(t, err, core.InvalidArgument, "file:", `row 3: unknown item "server.gpu"`,
			`row 4: unit_price_per_hour: "cheap" is not a decimal number`, `row 5: duplicate item "server.vcpu" (also on row 2)`,
			"row 7: unit_price_per_hour: -1 is negative", "row 8: item: missing")
		for _, r := range []string{"row 2", "row 6", "row 9", "row 10"} {
			if strings.Contains(core.MessageOf(err), r+":") {
				t.Fatalf("%s is good but reported: %v", r, err)
			}
		}
		if lists := pricingOK(s.ListPriceLists(ctx, def))(t); len(lists) != 1 {
			t.Fatalf("a bad file created a list: %d lists", len(lists))
		}

		err = imp(xlsxFile(t, [][]string{{"name", "price"}, {"server.vcpu", "1"}}))
		pricingKind(t, err, core.InvalidArgument, "row 1", "header")
		err = imp(xlsxFile(t, nil))
		pricingKind(t, err, core.InvalidArgument, "empty")
		err = imp(bytes.NewBufferString("item,unit_price_per_hour\nserver.vcpu,1\n"))
		pricingKind(t, err, core.InvalidArgument, "file:", "xlsx")

		f := excelize.NewFile()
		var other bytes.Buffer
		_ = f.Write(&other)
		f.Close()
		pricingKind(t, imp(&other), core.InvalidArgument, `no sheet "prices"`)

		// A good file with only the header and items without prices makes
		// an empty list.
		l := pricingOK(s.ImportPriceList(ctx, def, xlsxFile(t, [][]string{{"Item", "Unit_Price_Per_Hour"}, {"router"}}), "empty"))(t)
		if l.Number != 2 || len(l.Prices) != 0 {
			t.Fatalf("imported %+v", l)
		}
	})
}
