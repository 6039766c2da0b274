"""The bank's figures: reporting periods in bank time, the definitions of each figure
(received, on time, satisfied, adopted and the rest) and the report built from what the
database counts. No I/O: the counting is behind `counting.FigureSource`."""
