"""The GAN kit every GAN trainer shares: objectives (pairs of D and G losses), Lipschitz
constraints, paper recipes, and the one D step / G loss (note 001's Algorithm 1)."""
