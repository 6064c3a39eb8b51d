// (being split out of the family's main file)
