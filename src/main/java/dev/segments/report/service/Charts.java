package dev.segments.report.service;

import dev.segments.segment.InsightDtos.Bin;
import dev.segments.segment.InsightDtos.FieldProfile;
import dev.segments.segment.InsightDtos.RfmCell;
import dev.segments.segment.InsightDtos.RfmGrid;
import dev.segments.segment.InsightDtos.ValueShare;
import dev.segments.segment.MembershipDtos.SizePoint;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.time.Day;
import org.jfree.data.time.TimeSeries;
import org.jfree.data.time.TimeSeriesCollection;
import org.jfree.data.xy.DefaultXYZDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.util.List;

/**
 * The charts of the reports, drawn by JFreeChart on headless AWT: the size history line, a field's profile bars
 * (share of members against share of the base per value, or the histogram of a number), the RFM grid as a heat
 * map. Each is drawn at twice its size in points, so that it stays sharp in the PDF.
 */
final class Charts {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    static final Color SEGMENT = new Color(0x1f, 0x6f, 0xb4);
    static final Color BASE = new Color(0xb0, 0xb7, 0xc0);
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final int SCALE = 2;

    private Charts() {
    }

    /** The segment's size at the end of each day. */
    static BufferedImage history(List<SizePoint> points, int width, int height) {
        TimeSeries series = new TimeSeries("Members");
        for (SizePoint p : points) {
            series.addOrUpdate(new Day(p.date().getDayOfMonth(), p.date().getMonthValue(), p.date().getYear()), p.size());
        }
        JFreeChart chart = ChartFactory.createTimeSeriesChart("Size, end of each UTC day", null, "members",
                new TimeSeriesCollection(series), false, false, false);
        XYPlot plot = chart.getXYPlot();
        style(chart);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(BASE);
        plot.setDomainGridlinePaint(BASE);
        XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) plot.getRenderer();
        r.setSeriesPaint(0, SEGMENT);
        r.setSeriesStroke(0, new BasicStroke(2f));
        NumberAxis range = (NumberAxis) plot.getRangeAxis();
        range.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        range.setAutoRangeIncludesZero(true);
        return image(chart, width, height);
    }

    /** A categorical field: share of members and share of the base per value; a number: its histogram. */
    static BufferedImage profile(FieldProfile field, int width, int height) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        boolean numeric = field.numeric() != null;
        if (numeric) {
            for (Bin b : field.numeric().histogram()) {
                data.addValue(b.count(), "members", Texts.number(b.from()) + "-" + Texts.number(b.to()));
            }
        } else {
            for (ValueShare v : field.values()) {
                data.addValue(percent(v.share()), "segment", Texts.shorten(v.value(), 24));
                data.addValue(percent(v.baseShare()), "base", Texts.shorten(v.value(), 24));
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(field.label() + (numeric ? " (members per bin)" : " (% of members vs % of base)"),
                null, numeric ? "members" : "%", data, numeric ? PlotOrientation.VERTICAL : PlotOrientation.HORIZONTAL,
                !numeric, false, false);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(BASE);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, SEGMENT);
        r.setSeriesPaint(1, BASE);
        r.setItemMargin(0.05);
        if (numeric) {
            ((NumberAxis) plot.getRangeAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            plot.getDomainAxis().setCategoryLabelPositions(org.jfree.chart.axis.CategoryLabelPositions.UP_45);
        }
        plot.getDomainAxis().setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        return image(chart, width, height);
    }

    /** The RFM grid: recency (rows, 5 at the top) by frequency (columns), shaded by the members' share, with counts. */
    static BufferedImage rfm(RfmGrid grid, int width, int height) {
        int n = grid.cells().size();
        double[][] xyz = new double[3][n];
        double max = 0;
        for (int i = 0; i < n; i++) {
            RfmCell c = grid.cells().get(i);
            xyz[0][i] = c.frequency();
            xyz[1][i] = c.recency();
            xyz[2][i] = c.members();
            max = Math.max(max, c.members());
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("members", xyz);
        NumberAxis x = new NumberAxis("frequency score (5: most purchases)");
        NumberAxis y = new NumberAxis("recency score (5: most recent)");
        for (NumberAxis a : List.of(x, y)) {
            a.setRange(0.5, 5.5);
            a.setTickUnit(new NumberTickUnit(1));
            a.setLowerMargin(0);
            a.setUpperMargin(0);
        }
        XYBlockRenderer renderer = new XYBlockRenderer();
        LookupPaintScale scale = new LookupPaintScale(0, Math.max(1, max) + 1, new Color(0xf4, 0xf6, 0xf8));
        int steps = 8;
        for (int s = 0; s < steps; s++) {
            double lower = s == 0 ? 0.5 : Math.max(1, max) * s / steps;
            scale.add(lower, blend(new Color(0xde, 0xeb, 0xf7), new Color(0x08, 0x30, 0x6b), s / (double) (steps - 1)));
        }
        scale.add(0, new Color(0xf4, 0xf6, 0xf8));
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));
        for (int i = 0; i < n; i++) {
            RfmCell c = grid.cells().get(i);
            XYTextAnnotation label = new XYTextAnnotation(Long.toString(c.members()), c.frequency(), c.recency());
            label.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            label.setPaint(c.members() > max / 2 && c.members() > 0 ? Color.WHITE : Color.DARK_GRAY);
            plot.addAnnotation(label);
        }
        JFreeChart chart = new JFreeChart("RFM grid: members by recency and frequency", TITLE, plot, false);
        NumberAxis legendAxis = new NumberAxis("members");
        legendAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(new RectangleInsets(8, 8, 8, 8));
        legend.setStripWidth(12);
        legend.setFrame(BlockBorder.NONE);
        chart.addSubtitle(legend);
        style(chart);
        return image(chart, width, height);
    }

    /** Horizontal bars of a value per segment (the overview's sizes). */
    static BufferedImage bars(String title, String axis, List<String> labels, List<? extends Number> values, int width, int height) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int i = 0; i < labels.size(); i++) {
            data.addValue(values.get(i), axis, Texts.shorten(labels.get(i), 28));
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, axis, data, PlotOrientation.HORIZONTAL, false, false, false);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(BASE);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, SEGMENT);
        r.setMaximumBarWidth(0.08);
        ((NumberAxis) plot.getRangeAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        plot.getDomainAxis().setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        return image(chart, width, height);
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        if (chart.getTitle() != null) chart.getTitle().setFont(TITLE);
        if (chart.getLegend() != null) chart.getLegend().setFrame(BlockBorder.NONE);
    }

    private static BufferedImage image(JFreeChart chart, int width, int height) {
        return chart.createBufferedImage(width * SCALE, height * SCALE, width, height, null);
    }

    private static double percent(BigDecimal share) {
        return share == null ? 0 : share.doubleValue() * 100;
    }

    private static Color blend(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }
}
