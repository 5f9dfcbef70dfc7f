package dev.segments.report.service;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;

/**
 * A flowing PDF page layout over PDFBox: headings, wrapped paragraphs, key-value and column tables, images; a new
 * page when the next block does not fit. Text is set in the standard Helvetica (WinAnsi): a character it cannot
 * encode is written as '?'.
 */
final class PdfDocument implements AutoCloseable {

    static final PDType1Font REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
    static final PDType1Font BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
    static final float MARGIN = 40;
    private static final Color MUTED = new Color(0x55, 0x5f, 0x6b);
    private static final Color RULE = new Color(0xd0, 0xd5, 0xdb);

    private final PDDocument doc = new PDDocument();
    private final PDRectangle size;
    private final String footer;
    private PDPageContentStream out;
    private float y;
    private int pages;

    PdfDocument(PDRectangle size, String title, String footer) {
        this.size = size;
        this.footer = footer;
        PDDocumentInformation info = doc.getDocumentInformation();
        info.setTitle(safe(title));
        info.setCreator("segments");
        info.setCreationDate(Calendar.getInstance());
        newPage();
    }

    float width() {
        return size.getWidth() - 2 * MARGIN;
    }

    void title(String text, String subtitle) {
        paragraph(text, BOLD, 18, Color.BLACK);
        if (subtitle != null) paragraph(subtitle, REGULAR, 10, MUTED);
        space(6);
        line();
        space(8);
    }

    void heading(String text) {
        need(60);
        space(6);
        paragraph(text, BOLD, 13, Color.BLACK);
        space(2);
    }

    void paragraph(String text) {
        paragraph(text, REGULAR, 10, Color.BLACK);
    }

    void note(String text) {
        paragraph(text, REGULAR, 9, MUTED);
    }

    void paragraph(String text, PDType1Font font, float fontSize, Color color) {
        for (String l : wrap(safe(text), font, fontSize, width())) {
            need(fontSize * 1.35f);
            text(MARGIN, y - fontSize, l, font, fontSize, color);
            y -= fontSize * 1.35f;
        }
    }

    /** Two columns: label, value. */
    void keyValues(List<String[]> rows) {
        table(new float[]{0.38f, 0.62f}, null, rows, 10);
    }

    /**
     * A table with the given column widths (fractions of the text width), an optional bold header repeated on each
     * page, cells wrapped within their column.
     */
    void table(float[] widths, String[] header, List<String[]> rows, float fontSize) {
        float lead = fontSize * 1.3f;
        if (header != null) tableRow(widths, header, BOLD, fontSize, lead, true, null);
        for (String[] row : rows) {
            tableRow(widths, row, REGULAR, fontSize, lead, false, header);
        }
        space(4);
    }

    /** One row; when it opens a page, {@code repeat} (the header) is drawn above it first. */
    private void tableRow(float[] widths, String[] cells, PDType1Font font, float fontSize, float lead, boolean header,
                          String[] repeat) {
        List<List<String>> wrapped = new ArrayList<>();
        int lines = 1;
        for (int i = 0; i < widths.length; i++) {
            String cell = i < cells.length && cells[i] != null ? cells[i] : "";
            List<String> w = wrap(safe(cell), font, fontSize, widths[i] * width() - 6);
            wrapped.add(w);
            lines = Math.max(lines, w.size());
        }
        float h = lines * lead + 4;
        if (need(h) && repeat != null) {
            tableRow(widths, repeat, BOLD, fontSize, lead, true, null);
        }
        float x = MARGIN;
        for (int i = 0; i < widths.length; i++) {
            float ly = y - fontSize - 2;
            for (String l : wrapped.get(i)) {
                text(x + 2, ly, l, font, fontSize, header ? Color.BLACK : Color.DARK_GRAY);
                ly -= lead;
            }
            x += widths[i] * width();
        }
        y -= h;
        try {
            out.setStrokingColor(RULE);
            out.setLineWidth(header ? 0.8f : 0.3f);
            out.moveTo(MARGIN, y);
            out.lineTo(MARGIN + width(), y);
            out.stroke();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image drawn {@code w} by {@code h} points (its pixels may be more, for sharpness). */
    void image(BufferedImage image, float w, float h) {
        need(h + 6);
        try {
            PDImageXObject x = LosslessFactory.createFromImage(doc, image);
            out.drawImage(x, MARGIN + (width() - w) / 2, y - h, w, h);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        y -= h + 6;
    }

    void space(float points) {
        y -= points;
    }

    void line() {
        try {
            out.setStrokingColor(RULE);
            out.setLineWidth(0.8f);
            out.moveTo(MARGIN, y);
            out.lineTo(MARGIN + width(), y);
            out.stroke();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a new page unless {@code points} still fit; true when it did. */
    boolean need(float points) {
        if (y - points < MARGIN + 14) {
            newPage();
            return true;
        }
        return false;
    }

    byte[] bytes() {
        try {
            closePage();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            doc.save(bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            doc.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void newPage() {
        try {
            closePage();
            PDPage page = new PDPage(size);
            doc.addPage(page);
            out = new PDPageContentStream(doc, page);
            pages++;
            text(MARGIN, MARGIN - 12, safe(footer + "  -  page " + pages), REGULAR, 8, MUTED);
            y = size.getHeight() - MARGIN;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void closePage() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }

    private void text(float x, float baseline, String s, PDType1Font font, float fontSize, Color color) {
        try {
            out.beginText();
            out.setFont(font, fontSize);
            out.setNonStrokingColor(color);
            out.newLineAtOffset(x, baseline);
            out.showText(s);
            out.endText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Greedy word wrap; a word longer than the width is cut. */
    static List<String> wrap(String text, PDType1Font font, float fontSize, float width) {
        List<String> lines = new ArrayList<>();
        for (String para : text.split("\n", -1)) {
            StringBuilder line = new StringBuilder();
            for (String word : para.split(" ")) {
                String candidate = line.isEmpty() ? word : line + " " + word;
                if (width(candidate, font, fontSize) <= width) {
                    line.setLength(0);
                    line.append(candidate);
                    continue;
                }
                if (!line.isEmpty()) {
                    lines.add(line.toString());
                    line.setLength(0);
                }
                while (width(word, font, fontSize) > width && word.length() > 1) {
                    int cut = word.length() - 1;
                    while (cut > 1 && width(word.substring(0, cut), font, fontSize) > width) cut--;
                    lines.add(word.substring(0, cut));
                    word = word.substring(cut);
                }
                line.append(word);
            }
            lines.add(line.toString());
        }
        return lines;
    }

    private static float width(String s, PDType1Font font, float fontSize) {
        try {
            return font.getStringWidth(s) / 1000 * fontSize;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text with every character Helvetica (WinAnsi) cannot show replaced by '?', control characters by spaces. */
    static String safe(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp == '\n') {
                b.append('\n');
            } else if (Character.isISOControl(cp)) {
                b.append(' ');
            } else {
                String c = new String(Character.toChars(cp));
                b.append(encodable(c) ? c : "?");
            }
        });
        return b.toString();
    }

    private static boolean encodable(String c) {
        try {
            REGULAR.encode(c);
            return true;
        } catch (IllegalArgumentException | IOException e) {
            return false;
        }
    }
}
