"""Domain services, built together by ``container.build_services`` into one ``Services``."""
