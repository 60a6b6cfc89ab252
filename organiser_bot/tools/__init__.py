"""Tools around the bot: the offline demo, synthetic data, and the offline digest command."""
