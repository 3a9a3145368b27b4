package dev.palisade.controlplane.flows;

import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Flow rows as CSV, the columns of {@code palisade flows -o csv}: {@code TIME, SOURCE, DESTINATION, PROTO, METHOD,
 * PATH, STATUS, DECISION, POLICY}; an absent value is an empty cell; a cell with a comma, a quote or a line break is
 * quoted (RFC 4180). A cell that starts with {@code = + - @}, a tab or a carriage return gets a leading {@code '}, so a
 * spreadsheet opening an export never evaluates a caller-chosen value as a formula (OWASP "CSV injection"; a path
 * refused before normalisation is recorded as sent). Lines end in {@code \n}. The one renderer for the export endpoint
 * and the CLI.
 */
public final class FlowCsv {
    /** The header line, without its line break. */
    public static final String HEADER = "TIME,SOURCE,DESTINATION,PROTO,METHOD,PATH,STATUS,DECISION,POLICY";

    private FlowCsv() {}

    /** One row, without its line break. */
    public static String row(FlowRow r) {
        StringBuilder sb = new StringBuilder(160);
        append(sb, r);
        return sb.toString();
    }

    /** Appends one row, without its line break. */
    public static void append(StringBuilder sb, FlowRow r) {
        sb.append(DateTimeFormatter.ISO_INSTANT.format(r.time().truncatedTo(ChronoUnit.MILLIS)));
        cell(sb.append(','), r.record().getSourceId());
        cell(sb.append(','), r.record().getDestinationId());
        cell(sb.append(','), r.record().getProtocol().name());
        cell(sb.append(','), r.record().getMethod());
        cell(sb.append(','), r.record().getPath());
        sb.append(',');
        if (r.record().getStatus() != 0) {
            sb.append(r.record().getStatus());
        }
        cell(sb.append(','), r.decisionDetail());
        cell(sb.append(','), r.record().getPolicy());
    }

    /**
     * One cell: as is, or quoted with doubled quotes when it holds a comma, a quote or a line break; a leading
     * {@code '} when it starts like a formula.
     */
    public static String cell(String value) {
        return cell(new StringBuilder(), value).toString();
    }

    private static StringBuilder cell(StringBuilder sb, String cell) {
        String value = !cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0 ? "'" + cell : cell;
        if (value.indexOf(',') >= 0
                || value.indexOf('"') >= 0
                || value.indexOf('\n') >= 0
                || value.indexOf('\r') >= 0) {
            return sb.append('"').append(value.replace("\"", "\"\"")).append('"');
        }
        return sb.append(value);
    }
}
