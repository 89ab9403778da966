module github.com/gisiaas/gisiaas

go 1.26.8
