"""What a run writes about itself: its record (for reproducing it) and its reports."""
